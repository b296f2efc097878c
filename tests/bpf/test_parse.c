// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_parse.c - every parse path of bpf/parse.h, one fixture row each:
 * IPv4 (options, fragments), IPv6 (each extension header, chains up to and
 * past XW_MAX_IPV6_EXT_HDRS), VLAN tags, non-IP, and every tunnel. Each row
 * checks the verdict, the one traffic slot that moved, the events, and
 * every field of the record; tunnel rows must show the inner headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixtures.h"

static struct xwt_env *env;

#define V4(s, d) .saddr = s, .daddr = d, .ip_ver = 4
#define V6(s, d) .saddr = s, .daddr = d, .ip_ver = 6
#define L4OK .flags = XW_REC_L4_VALID
#define ERR .flags = XW_REC_PARSE_ERROR

/* ---- IPv4 ---- */

static size_t v4_tcp_syn(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .tos = 0xb8, .ttl = 61,
					   .frag_off = PG_IP_DF });
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 40000, .dport = 443,
					 .flags = PG_TCP_SYN,
					 .window = 64240 });
	pktgen__payload(b, 12);
	return pktgen__finish(b);
}

/* TCP options: the payload starts after doff * 4, not after 20 bytes. */
static size_t v4_tcp_opts(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 443, .dport = 51000,
					 .flags = PG_TCP_ACK | PG_TCP_PSH,
					 .window = 501, .optlen = 12 });
	pktgen__payload(b, 100);
	return pktgen__finish(b);
}

static size_t v4_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 5353, 53);
	pktgen__payload(b, 30);
	return pktgen__finish(b);
}

static size_t v4_icmp_echo(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__icmp(b, 8, 0);
	pktgen__payload(b, 56);
	return pktgen__finish(b);
}

static size_t v4_icmp_unreach(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__icmp(b, 3, 13);
	pktgen__payload(b, 28);
	return pktgen__finish(b);
}

static size_t v4_opts_udp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .optlen = 8 });
	pktgen__udp(b, 1000, 2000);
	pktgen__payload(b, 4);
	return pktgen__finish(b);
}

static size_t v4_ihl15_tcp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .optlen = 40 });
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 1, .dport = 2,
					 .flags = PG_TCP_RST, .window = 0 });
	return pktgen__finish(b);
}

static size_t v4_frag_first(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .frag_off = PG_IP_MF });
	pktgen__udp(b, 7000, 7001);
	pktgen__payload(b, 64);
	return pktgen__finish(b);
}

/* Offset 1480: the payload only looks like a UDP header. */
static size_t v4_frag_later(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .frag_off = PG_IP_MF | 185 });
	pktgen__link(b, 0, PG_IPPROTO_UDP);
	pktgen__payload(b, 64);
	return pktgen__finish(b);
}

static size_t v4_frag_last(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .frag_off = 100 });
	pktgen__link(b, 0, PG_IPPROTO_TCP);
	pktgen__payload(b, 20);
	return pktgen__finish(b);
}

/* ---- IPv6 ---- */

/* Flow label bits must not leak into tos. */
static size_t v6_tcp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv6(b, &(struct pg_ipv6){ .saddr = S6, .daddr = D6,
					   .tclass = 0xb9, .flow = 0xFABCD,
					   .hop_limit = 255 });
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 50000, .dport = 80,
					 .flags = PG_TCP_SYN | PG_TCP_ACK,
					 .window = 65535 });
	pktgen__payload(b, 20);
	return pktgen__finish(b);
}

static size_t v6_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__udp(b, 53, 33000);
	pktgen__payload(b, 100);
	return pktgen__finish(b);
}

/* parse.h counts 4 bytes of ICMPv6 header (RFC 4443), 8 of ICMP. */
static size_t v6_icmp6_echo(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__icmpv6(b, 128, 0);
	pktgen__payload(b, 32);
	return pktgen__finish(b);
}

static size_t v6_icmp6_unreach(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__icmpv6(b, 1, 4);
	return pktgen__finish(b);
}

static size_t v6_hop_tcp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_HOP, 0);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 1234, .dport = 22,
					 .flags = PG_TCP_ACK, .window = 300 });
	return pktgen__finish(b);
}

static size_t v6_routing_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_ROUTING, 2);
	pktgen__udp(b, 4000, 4001);
	pktgen__payload(b, 10);
	return pktgen__finish(b);
}

static size_t v6_dest_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 1);
	pktgen__udp(b, 4002, 4003);
	return pktgen__finish(b);
}

static size_t v6_frag_first(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_frag(b, 0, 1);
	pktgen__udp(b, 4004, 4005);
	pktgen__payload(b, 40);
	return pktgen__finish(b);
}

static size_t v6_frag_later(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_frag(b, 1232, 1);
	pktgen__link(b, 0, PG_IPPROTO_UDP);
	pktgen__payload(b, 40);
	return pktgen__finish(b);
}

static size_t v6_ah_tcp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_AH, 4);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 500, .dport = 501,
					 .flags = PG_TCP_FIN | PG_TCP_ACK,
					 .window = 7 });
	pktgen__payload(b, 8);
	return pktgen__finish(b);
}

/* Six headers of five kinds, 88 bytes. */
static size_t v6_chain_tcp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_HOP, 0);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 1);
	pktgen__ipv6_ext(b, PG_IPPROTO_ROUTING, 2);
	pktgen__ipv6_frag(b, 0, 0);
	pktgen__ipv6_ext(b, PG_IPPROTO_AH, 4);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 0);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 8080, .dport = 8081,
					 .flags = PG_TCP_PSH | PG_TCP_ACK,
					 .window = 1024 });
	pktgen__payload(b, 5);
	return pktgen__finish(b);
}

static size_t v6_dest_chain(struct pktgen *b, int n)
{
	eth_ipv6(b, S6, D6);
	for (int i = 0; i < n; i++)
		pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 0);
	pktgen__udp(b, 9000, 9001);
	return pktgen__finish(b);
}

/* Exactly the longest chain the parser walks. */
static size_t v6_chain_max(struct pktgen *b)
{
	return v6_dest_chain(b, XW_MAX_IPV6_EXT_HDRS);
}

static size_t v6_chain_too_long(struct pktgen *b)
{
	return v6_dest_chain(b, XW_MAX_IPV6_EXT_HDRS + 1);
}

/* ---- VLAN and non-IP ---- */

/* PCP 5 in the TCI: vlan_id must keep only the 12 VID bits. */
static size_t vlan_v4_udp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021Q, 0xA000 | 100);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4 });
	pktgen__udp(b, 1111, 2222);
	return pktgen__finish(b);
}

static size_t qinq_v6_tcp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021AD, 300);
	pktgen__vlan(b, PG_ETH_P_8021Q, 42);
	pktgen__ipv6(b, &(struct pg_ipv6){ .saddr = S6, .daddr = D6 });
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 3, .dport = 4,
					 .flags = PG_TCP_SYN, .window = 9 });
	return pktgen__finish(b);
}

static size_t vlan3_v4(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021AD, 10);
	pktgen__vlan(b, PG_ETH_P_8021Q, 20);
	pktgen__vlan(b, PG_ETH_P_8021Q, 30);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4 });
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t arp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__arp(b);
	return pktgen__finish(b);
}

static size_t lldp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__link(b, 0x88CC, 0);
	pktgen__payload(b, 40);
	return pktgen__finish(b);
}

/* ---- tunnels ---- */

static size_t vxlan_v4_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49152, XW_VXLAN_PORT);
	pktgen__vxlan(b, 42);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 1234, .dport = 22,
					 .flags = PG_TCP_ACK, .window = 1000 });
	pktgen__payload(b, 7);
	return pktgen__finish(b);
}

/* The record's VLAN is the outer one; the inner tag is stepped over. */
static size_t vlan_vxlan_vlan_v6_udp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021Q, 77);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4 });
	pktgen__udp(b, 49153, XW_VXLAN_PORT);
	pktgen__vxlan(b, 43);
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021Q, 99);
	inner_ipv6(b);
	pktgen__udp(b, 5000, 5001);
	pktgen__payload(b, 11);
	return pktgen__finish(b);
}

static size_t vxlan6_v4_icmp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__udp(b, 49154, XW_VXLAN_PORT);
	pktgen__vxlan(b, 44);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__icmp(b, 0, 0);
	pktgen__payload(b, 16);
	return pktgen__finish(b);
}

/* A tunnel whose inner frame is not IP: the outer headers stay. */
static size_t vxlan_arp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49155, XW_VXLAN_PORT);
	pktgen__vxlan(b, 45);
	pktgen__eth(b);
	pktgen__arp(b);
	return pktgen__finish(b);
}

static size_t geneve_opts_eth_v6_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49156, XW_GENEVE_PORT);
	pktgen__geneve(b, 46, 8);
	pktgen__eth(b);
	inner_ipv6(b);
	pktgen__udp(b, 6000, 6001);
	pktgen__payload(b, 3);
	return pktgen__finish(b);
}

static size_t geneve_v4_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49157, XW_GENEVE_PORT);
	pktgen__geneve(b, 47, 0);
	inner_ipv4(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 7, .dport = 8,
					 .flags = PG_TCP_SYN, .window = 2 });
	return pktgen__finish(b);
}

/* The largest option length the 6-bit field can say: 252 bytes. */
static size_t geneve_maxopts_v4_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49158, XW_GENEVE_PORT);
	pktgen__geneve(b, 48, 252);
	inner_ipv4(b);
	pktgen__udp(b, 6002, 6003);
	return pktgen__finish(b);
}

static size_t gre_v4_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, 0);
	inner_ipv4(b);
	pktgen__udp(b, 6004, 6005);
	pktgen__payload(b, 9);
	return pktgen__finish(b);
}

static size_t gre_csum_v4_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, PG_GRE_CSUM);
	inner_ipv4(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 11, .dport = 12,
					 .flags = PG_TCP_SYN, .window = 3 });
	return pktgen__finish(b);
}

static size_t gre_key_seq_v6_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, PG_GRE_KEY | PG_GRE_SEQ);
	inner_ipv6(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 13, .dport = 14,
					 .flags = PG_TCP_ACK, .window = 4 });
	pktgen__payload(b, 2);
	return pktgen__finish(b);
}

static size_t gre_all_eth_v4_icmp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, PG_GRE_CSUM | PG_GRE_KEY | PG_GRE_SEQ);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__icmp(b, 8, 0);
	pktgen__payload(b, 6);
	return pktgen__finish(b);
}

static size_t gre6_key_v4_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__gre(b, PG_GRE_KEY);
	inner_ipv4(b);
	pktgen__udp(b, 6006, 6007);
	return pktgen__finish(b);
}

/* Version 1 is PPTP's enhanced GRE: not looked into. */
static size_t gre_v1(struct pktgen *b)
{
	int off;

	eth_ipv4(b, S4, D4);
	off = pktgen__gre(b, PG_GRE_KEY);
	b->buf[off + 1] |= 1;
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t gre_routing(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, PG_GRE_ROUTING);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

/* GRE carrying MPLS: opened, not IP inside, so the outer headers stay. */
static size_t gre_mpls(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, 0);
	pktgen__link(b, 0x8847, 0);
	pktgen__payload(b, 24);
	return pktgen__finish(b);
}

static size_t ipip_v4_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	inner_ipv4(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 15, .dport = 16,
					 .flags = PG_TCP_SYN, .window = 5 });
	return pktgen__finish(b);
}

static size_t ip6in4_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	inner_ipv6(b);
	pktgen__udp(b, 6008, 6009);
	pktgen__payload(b, 1);
	return pktgen__finish(b);
}

static size_t ip4in6_icmp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	inner_ipv4(b);
	pktgen__icmp(b, 11, 1);
	pktgen__payload(b, 28);
	return pktgen__finish(b);
}

static size_t ip6in6_icmp6(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	inner_ipv6(b);
	pktgen__icmpv6(b, 135, 0);
	pktgen__payload(b, 20);
	return pktgen__finish(b);
}

/* An IPv4-in-IPv4 later fragment has no inner header to look into. */
static size_t ipip_frag_later(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .frag_off = 10 });
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

#define INNER4 V4(IS4, ID4), .ttl = INNER_TTL, .tos = INNER_TOS
#define INNER6 V6(IS6, ID6), .ttl = INNER_TTL, .tos = INNER_TOS
#define DECAP .events = { XW_EV_TUNNEL_DECAP }

static const struct xwt_case cases[] = {
	{ "ipv4 tcp syn, DF", v4_tcp_syn, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V4(S4, D4), .l4_proto = 6, .sport = 40000, .dport = 443,
	      .tcp_flags = 0x02, .tcp_window = 64240, .ttl = 61,
	      .tos = 0xb8, .ip_len = 52, .l4_payload_len = 12,
	      .frag = XW_FRAG_DF, L4OK } } },
	{ "ipv4 tcp with options", v4_tcp_opts, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V4(S4, D4), .l4_proto = 6, .sport = 443, .dport = 51000,
	      .tcp_flags = 0x18, .tcp_window = 501, .ttl = OUTER_TTL,
	      .ip_len = 152, .l4_payload_len = 100, L4OK } } },
	{ "ipv4 udp", v4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V4(S4, D4), .l4_proto = 17, .sport = 5353, .dport = 53,
	      .ttl = OUTER_TTL, .ip_len = 58, .l4_payload_len = 30,
	      L4OK } } },
	{ "ipv4 icmp echo request", v4_icmp_echo, 0,
	  { XDP_PASS, XW_L4_ICMP, {},
	    { V4(S4, D4), .l4_proto = 1, .sport = 8, .dport = 0,
	      .ttl = OUTER_TTL, .ip_len = 84, .l4_payload_len = 56,
	      L4OK } } },
	{ "ipv4 icmp unreachable: type/code in sport/dport",
	  v4_icmp_unreach, 0,
	  { XDP_PASS, XW_L4_ICMP, {},
	    { V4(S4, D4), .l4_proto = 1, .sport = 3, .dport = 13,
	      .ttl = OUTER_TTL, .ip_len = 56, .l4_payload_len = 28,
	      L4OK } } },
	{ "ipv4 options (ihl 7) udp", v4_opts_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V4(S4, D4), .l4_proto = 17, .sport = 1000, .dport = 2000,
	      .ttl = OUTER_TTL, .ip_len = 40, .l4_payload_len = 4,
	      L4OK } } },
	{ "ipv4 options (ihl 15) tcp", v4_ihl15_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V4(S4, D4), .l4_proto = 6, .sport = 1, .dport = 2,
	      .tcp_flags = 0x04, .ttl = OUTER_TTL, .ip_len = 80,
	      L4OK } } },
	{ "ipv4 first fragment (MF, offset 0) keeps L4", v4_frag_first, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V4(S4, D4), .l4_proto = 17, .sport = 7000, .dport = 7001,
	      .ttl = OUTER_TTL, .ip_len = 92, .l4_payload_len = 64,
	      .frag = XW_FRAG_MF, L4OK } } },
	{ "ipv4 later fragment: class other, no ports", v4_frag_later, 0,
	  { XDP_PASS, XW_L4_OTHER, {},
	    { V4(S4, D4), .l4_proto = 17, .ttl = OUTER_TTL, .ip_len = 84,
	      .frag = XW_FRAG_MF | XW_FRAG_LATER } } },
	{ "ipv4 last fragment", v4_frag_last, 0,
	  { XDP_PASS, XW_L4_OTHER, {},
	    { V4(S4, D4), .l4_proto = 6, .ttl = OUTER_TTL, .ip_len = 40,
	      .frag = XW_FRAG_LATER } } },

	{ "ipv6 tcp, traffic class without flow label", v6_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V6(S6, D6), .l4_proto = 6, .sport = 50000, .dport = 80,
	      .tcp_flags = 0x12, .tcp_window = 65535, .ttl = 255,
	      .tos = 0xb9, .ip_len = 80, .l4_payload_len = 20, L4OK } } },
	{ "ipv6 udp", v6_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V6(S6, D6), .l4_proto = 17, .sport = 53, .dport = 33000,
	      .ttl = OUTER_TTL, .ip_len = 148, .l4_payload_len = 100,
	      L4OK } } },
	{ "ipv6 icmpv6 echo request", v6_icmp6_echo, 0,
	  { XDP_PASS, XW_L4_ICMPV6, {},
	    { V6(S6, D6), .l4_proto = 58, .sport = 128, .dport = 0,
	      .ttl = OUTER_TTL, .ip_len = 80, .l4_payload_len = 36,
	      L4OK } } },
	{ "ipv6 icmpv6 unreachable: type/code in sport/dport",
	  v6_icmp6_unreach, 0,
	  { XDP_PASS, XW_L4_ICMPV6, {},
	    { V6(S6, D6), .l4_proto = 58, .sport = 1, .dport = 4,
	      .ttl = OUTER_TTL, .ip_len = 48, .l4_payload_len = 4,
	      L4OK } } },
	{ "ipv6 hop-by-hop tcp", v6_hop_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V6(S6, D6), .l4_proto = 6, .sport = 1234, .dport = 22,
	      .tcp_flags = 0x10, .tcp_window = 300, .ttl = OUTER_TTL,
	      .ip_len = 68, L4OK } } },
	{ "ipv6 routing (24 bytes) udp", v6_routing_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V6(S6, D6), .l4_proto = 17, .sport = 4000, .dport = 4001,
	      .ttl = OUTER_TTL, .ip_len = 82, .l4_payload_len = 10,
	      L4OK } } },
	{ "ipv6 destination options (16 bytes) udp", v6_dest_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V6(S6, D6), .l4_proto = 17, .sport = 4002, .dport = 4003,
	      .ttl = OUTER_TTL, .ip_len = 64, L4OK } } },
	{ "ipv6 first fragment keeps L4", v6_frag_first, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V6(S6, D6), .l4_proto = 17, .sport = 4004, .dport = 4005,
	      .ttl = OUTER_TTL, .ip_len = 96, .l4_payload_len = 40,
	      .frag = XW_FRAG_V6HDR | XW_FRAG_MF, L4OK } } },
	{ "ipv6 later fragment: class other, no ports", v6_frag_later, 0,
	  { XDP_PASS, XW_L4_OTHER, {},
	    { V6(S6, D6), .l4_proto = 17, .ttl = OUTER_TTL, .ip_len = 88,
	      .frag = XW_FRAG_V6HDR | XW_FRAG_MF | XW_FRAG_LATER } } },
	{ "ipv6 AH (24 bytes) tcp", v6_ah_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V6(S6, D6), .l4_proto = 6, .sport = 500, .dport = 501,
	      .tcp_flags = 0x11, .tcp_window = 7, .ttl = OUTER_TTL,
	      .ip_len = 92, .l4_payload_len = 8, L4OK } } },
	{ "ipv6 chain hop,dest,routing,frag,ah,dest tcp", v6_chain_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V6(S6, D6), .l4_proto = 6, .sport = 8080, .dport = 8081,
	      .tcp_flags = 0x18, .tcp_window = 1024, .ttl = OUTER_TTL,
	      .ip_len = 153, .l4_payload_len = 5, .frag = XW_FRAG_V6HDR,
	      L4OK } } },
	{ "ipv6 chain of exactly XW_MAX_IPV6_EXT_HDRS", v6_chain_max, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V6(S6, D6), .l4_proto = 17, .sport = 9000, .dport = 9001,
	      .ttl = OUTER_TTL, .ip_len = 48 + 8 * XW_MAX_IPV6_EXT_HDRS,
	      L4OK } } },
	{ "ipv6 chain longer than XW_MAX_IPV6_EXT_HDRS", v6_chain_too_long,
	  0,
	  { XDP_PASS, XW_L4_OTHER, { XW_EV_IPV6_EXT_TOO_MANY },
	    { V6(S6, D6), .l4_proto = PG_IPPROTO_DEST, .ttl = OUTER_TTL,
	      .ip_len = 48 + 8 * (XW_MAX_IPV6_EXT_HDRS + 1), ERR } } },

	{ "802.1q ipv4 udp, vid without pcp", vlan_v4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V4(S4, D4), .l4_proto = 17, .sport = 1111, .dport = 2222,
	      .ttl = OUTER_TTL, .ip_len = 28, .vlan_id = 100,
	      .vlan_count = 1, L4OK } } },
	{ "qinq 802.1ad+802.1q ipv6 tcp: outer vid", qinq_v6_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, {},
	    { V6(S6, D6), .l4_proto = 6, .sport = 3, .dport = 4,
	      .tcp_flags = 0x02, .tcp_window = 9, .ttl = OUTER_TTL,
	      .ip_len = 60, .vlan_id = 300, .vlan_count = 2, L4OK } } },
	{ "three vlan tags", vlan3_v4, 0,
	  { XDP_PASS, XW_L4_OTHER, { XW_EV_VLAN_TOO_MANY },
	    { .vlan_id = 10, .vlan_count = 2, ERR } } },
	{ "arp: not ip, passed", arp, 0,
	  { XDP_PASS, XW_L4_OTHER, {}, {} } },
	{ "lldp: not ip, passed", lldp, 0,
	  { XDP_PASS, XW_L4_OTHER, {}, {} } },

	{ "vxlan: inner ipv4 tcp", vxlan_v4_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, DECAP,
	    { INNER4, .l4_proto = 6, .sport = 1234, .dport = 22,
	      .tcp_flags = 0x10, .tcp_window = 1000, .ip_len = 47,
	      .l4_payload_len = 7, .tunnel = XW_TUN_VXLAN, L4OK } } },
	{ "vlan vxlan with inner vlan: inner ipv6 udp",
	  vlan_vxlan_vlan_v6_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER6, .l4_proto = 17, .sport = 5000, .dport = 5001,
	      .ip_len = 59, .l4_payload_len = 11, .vlan_id = 77,
	      .vlan_count = 1, .tunnel = XW_TUN_VXLAN, L4OK } } },
	{ "vxlan over ipv6: inner ipv4 icmp", vxlan6_v4_icmp, 0,
	  { XDP_PASS, XW_L4_ICMP, DECAP,
	    { INNER4, .l4_proto = 1, .ip_len = 44, .l4_payload_len = 16,
	      .tunnel = XW_TUN_VXLAN, L4OK } } },
	{ "vxlan with inner arp: outer headers stay", vxlan_arp, 0,
	  { XDP_PASS, XW_L4_UDP, {},
	    { V4(S4, D4), .l4_proto = 17, .sport = 49155,
	      .dport = XW_VXLAN_PORT, .ttl = OUTER_TTL, .ip_len = 78,
	      .l4_payload_len = 50, L4OK } } },
	{ "geneve with options: inner ethernet ipv6 udp",
	  geneve_opts_eth_v6_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER6, .l4_proto = 17, .sport = 6000, .dport = 6001,
	      .ip_len = 51, .l4_payload_len = 3, .tunnel = XW_TUN_GENEVE,
	      L4OK } } },
	{ "geneve proto 0x0800: inner ipv4 tcp", geneve_v4_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, DECAP,
	    { INNER4, .l4_proto = 6, .sport = 7, .dport = 8,
	      .tcp_flags = 0x02, .tcp_window = 2, .ip_len = 40,
	      .tunnel = XW_TUN_GENEVE, L4OK } } },
	{ "geneve 252 bytes of options: inner ipv4 udp",
	  geneve_maxopts_v4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER4, .l4_proto = 17, .sport = 6002, .dport = 6003,
	      .ip_len = 28, .tunnel = XW_TUN_GENEVE, L4OK } } },
	{ "gre: inner ipv4 udp", gre_v4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER4, .l4_proto = 17, .sport = 6004, .dport = 6005,
	      .ip_len = 37, .l4_payload_len = 9, .tunnel = XW_TUN_GRE,
	      L4OK } } },
	{ "gre csum: inner ipv4 tcp", gre_csum_v4_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, DECAP,
	    { INNER4, .l4_proto = 6, .sport = 11, .dport = 12,
	      .tcp_flags = 0x02, .tcp_window = 3, .ip_len = 40,
	      .tunnel = XW_TUN_GRE, L4OK } } },
	{ "gre key+seq: inner ipv6 tcp", gre_key_seq_v6_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, DECAP,
	    { INNER6, .l4_proto = 6, .sport = 13, .dport = 14,
	      .tcp_flags = 0x10, .tcp_window = 4, .ip_len = 62,
	      .l4_payload_len = 2, .tunnel = XW_TUN_GRE, L4OK } } },
	{ "gre csum+key+seq 0x6558: inner ethernet ipv4 icmp",
	  gre_all_eth_v4_icmp, 0,
	  { XDP_PASS, XW_L4_ICMP, DECAP,
	    { INNER4, .l4_proto = 1, .sport = 8, .ip_len = 34,
	      .l4_payload_len = 6, .tunnel = XW_TUN_GRE, L4OK } } },
	{ "gre over ipv6 with key: inner ipv4 udp", gre6_key_v4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER4, .l4_proto = 17, .sport = 6006, .dport = 6007,
	      .ip_len = 28, .tunnel = XW_TUN_GRE, L4OK } } },
	{ "gre version 1: unsupported, outer headers", gre_v1, 0,
	  { XDP_PASS, XW_L4_OTHER, { XW_EV_TUNNEL_UNSUPPORTED },
	    { V4(S4, D4), .l4_proto = 47, .ttl = OUTER_TTL, .ip_len = 56,
	      ERR } } },
	{ "gre routing flag: unsupported", gre_routing, 0,
	  { XDP_PASS, XW_L4_OTHER, { XW_EV_TUNNEL_UNSUPPORTED },
	    { V4(S4, D4), .l4_proto = 47, .ttl = OUTER_TTL, .ip_len = 52,
	      ERR } } },
	{ "gre mpls: not ip inside, outer headers", gre_mpls, 0,
	  { XDP_PASS, XW_L4_OTHER, {},
	    { V4(S4, D4), .l4_proto = 47, .ttl = OUTER_TTL,
	      .ip_len = 48 } } },
	{ "ipv4-in-ipv4: inner tcp", ipip_v4_tcp, 0,
	  { XDP_PASS, XW_L4_TCP, DECAP,
	    { INNER4, .l4_proto = 6, .sport = 15, .dport = 16,
	      .tcp_flags = 0x02, .tcp_window = 5, .ip_len = 40,
	      .tunnel = XW_TUN_IPIP, L4OK } } },
	{ "ipv6-in-ipv4: inner udp", ip6in4_udp, 0,
	  { XDP_PASS, XW_L4_UDP, DECAP,
	    { INNER6, .l4_proto = 17, .sport = 6008, .dport = 6009,
	      .ip_len = 49, .l4_payload_len = 1, .tunnel = XW_TUN_IPIP,
	      L4OK } } },
	{ "ipv4-in-ipv6: inner icmp", ip4in6_icmp, 0,
	  { XDP_PASS, XW_L4_ICMP, DECAP,
	    { INNER4, .l4_proto = 1, .sport = 11, .dport = 1,
	      .ip_len = 56, .l4_payload_len = 28, .tunnel = XW_TUN_IPIP,
	      L4OK } } },
	{ "ipv6-in-ipv6: inner icmpv6", ip6in6_icmp6, 0,
	  { XDP_PASS, XW_L4_ICMPV6, DECAP,
	    { INNER6, .l4_proto = 58, .sport = 135, .ip_len = 68,
	      .l4_payload_len = 24, .tunnel = XW_TUN_IPIP, L4OK } } },
	{ "ipv4-in-ipv4 later fragment: not opened", ipip_frag_later, 0,
	  { XDP_PASS, XW_L4_OTHER, {},
	    { V4(S4, D4), .l4_proto = 4, .ttl = OUTER_TTL, .ip_len = 48,
	      .frag = XW_FRAG_LATER } } },
};

const struct xwt_case *xwt_parse_cases(size_t *n)
{
	*n = ARRAY_SIZE(cases);
	return cases;
}

/* Runs the table in the given direction; returns the rows that failed. */
static int run_table(int step)
{
	size_t n = ARRAY_SIZE(cases);
	int failed = 0;

	for (size_t k = 0; k < n; k++) {
		const struct xwt_case *c = &cases[step > 0 ? k : n - 1 - k];
		struct xwt_result res;
		struct pktgen b;
		size_t len;

		pktgen__init(&b);
		len = c->build(&b);
		if (c->cut)
			len = c->cut;
		xwt_run(env, b.buf, len, 1, &res);
		failed += xwt_match(c->desc, &res, len, &c->expect) != 0;
	}
	return failed;
}

static void test_parse_paths(void **state)
{
	int failed = run_table(1);

	if (failed)
		fail_msg("%d of %zu parse fixtures failed", failed,
			 ARRAY_SIZE(cases));
}

/*
 * Backwards: each row now follows a different packet, so state left
 * behind by one packet (an unzeroed scratch struct, say) shows up.
 */
static void test_parse_paths_reversed(void **state)
{
	int failed = run_table(-1);

	if (failed)
		fail_msg("%d of %zu parse fixtures failed", failed,
			 ARRAY_SIZE(cases));
}

static int group_setup(void **state)
{
	return xwt_env__open(&env);
}

static int group_teardown(void **state)
{
	xwt_env__close(env);
	return 0;
}

int xwt_group_parse(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_paths),
		cmocka_unit_test(test_parse_paths_reversed),
	};

	return cmocka_run_group_tests_name("parse", tests, group_setup,
					   group_teardown);
}
