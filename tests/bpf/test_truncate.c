// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_truncate.c - every truncation point, and malformed headers.
 *
 * Cut loops: a valid frame of each kind is run at every length from 0 to
 * its whole. Each kind lists its header boundaries (struct cut_seg): the
 * event a cut inside that range must count, and which layer the record
 * then shows. Every run must be counted exactly once in xw_traffic, count
 * at most one parse error, never drop without a rule, and, with a deny
 * rule on the innermost source, drop exactly when that source was read.
 *
 * Reasons: fixture rows for the specific error codes (IHL < 5, total
 * length below the header, TCP data offset < 5, ...).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "names.h"

static struct xwt_env *env;

/* Which headers the record holds. */
enum layer { L_NONE, L_OUTER, L_INNER };

struct cut_seg {
	uint16_t end; /* cuts in [previous end, end) */
	uint8_t event; /* the parse error they count */
	uint8_t layer; /* enum layer the record shows */
	uint8_t l4_valid; /* the record's L4 fields were read */
};

#define SEG_MAX 8

struct cut_kind {
	const char *desc;
	size_t (*build)(struct pktgen *b);
	const char *outer_src; /* prefix source of the outer headers */
	const char *inner_src; /* NULL: no tunnel */
	uint8_t tunnel;
	struct cut_seg segs[SEG_MAX]; /* past the last: whole, no error */
};

/* 14 + 24 (IHL 6) + 32 (doff 8) + 10 */
static size_t k_v4_tcp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .optlen = 4 });
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 1, .dport = 2,
					 .flags = PG_TCP_SYN, .window = 3,
					 .optlen = 12 });
	pktgen__payload(b, 10);
	return pktgen__finish(b);
}

/* 14 + 40 + hop 8 + routing 24 + frag 8 + dest 16 + udp 8 + 6 */
static size_t k_v6_ext_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_HOP, 0);
	pktgen__ipv6_ext(b, PG_IPPROTO_ROUTING, 2);
	pktgen__ipv6_frag(b, 0, 0);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 1);
	pktgen__udp(b, 3, 4);
	pktgen__payload(b, 6);
	return pktgen__finish(b);
}

/* 14 + 4 + 20 + 8 + 8 */
static size_t k_vlan_v4_udp(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021Q, 5);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4 });
	pktgen__udp(b, 5, 6);
	pktgen__payload(b, 8);
	return pktgen__finish(b);
}

/* 14 + 4 + 4 + 40 + 8 + 4 */
static size_t k_qinq_v6_icmp6(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021AD, 6);
	pktgen__vlan(b, PG_ETH_P_8021Q, 7);
	pktgen__ipv6(b, &(struct pg_ipv6){ .saddr = S6, .daddr = D6 });
	pktgen__icmpv6(b, 128, 0);
	pktgen__payload(b, 4);
	return pktgen__finish(b);
}

/* 14 + 20 + 8 + vxlan 8 + 14 + 20 + 20 + 6 */
static size_t k_vxlan(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49152, XW_VXLAN_PORT);
	pktgen__vxlan(b, 1);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 7, .dport = 8,
					 .flags = PG_TCP_ACK, .window = 9 });
	pktgen__payload(b, 6);
	return pktgen__finish(b);
}

/* 14 + 20 + gre 12 + 40 + 8 + 3 */
static size_t k_gre_v6(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, PG_GRE_CSUM | PG_GRE_KEY);
	inner_ipv6(b);
	pktgen__udp(b, 9, 10);
	pktgen__payload(b, 3);
	return pktgen__finish(b);
}

/* 14 + 20 + 8 + geneve 16 + 14 + 20 + icmp 8 + 4 */
static size_t k_geneve(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49153, XW_GENEVE_PORT);
	pktgen__geneve(b, 2, 8);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__icmp(b, 8, 0);
	pktgen__payload(b, 4);
	return pktgen__finish(b);
}

/* 14 + 40 + 20 + 8 + 2 */
static size_t k_ip4in6(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	inner_ipv4(b);
	pktgen__udp(b, 11, 12);
	pktgen__payload(b, 2);
	return pktgen__finish(b);
}

/*
 * Below 14 bytes BPF_PROG_TEST_RUN refuses the frame (-EINVAL), so
 * XW_EV_ETH_TRUNC is unreachable here; the first segment starts at 14.
 */
static const struct cut_kind kinds[] = {
	{ "ipv4 options + tcp options", k_v4_tcp, S4, NULL, XW_TUN_NONE,
	  { { 38, XW_EV_IPV4_TRUNC, L_NONE, 0 },
	    { 70, XW_EV_TCP_TRUNC, L_OUTER, 0 } } },
	/* The ext chain is read 4 bytes per header: a cut inside the last
	 * header's tail is seen as the UDP header being cut. */
	{ "ipv6 hop+routing+frag+dest + udp", k_v6_ext_udp, S6, NULL,
	  XW_TUN_NONE,
	  { { 54, XW_EV_IPV6_TRUNC, L_NONE, 0 },
	    { 98, XW_EV_IPV6_EXT_TRUNC, L_OUTER, 0 },
	    { 118, XW_EV_UDP_TRUNC, L_OUTER, 0 } } },
	{ "802.1q ipv4 udp", k_vlan_v4_udp, S4, NULL, XW_TUN_NONE,
	  { { 18, XW_EV_VLAN_TRUNC, L_NONE, 0 },
	    { 38, XW_EV_IPV4_TRUNC, L_NONE, 0 },
	    { 46, XW_EV_UDP_TRUNC, L_OUTER, 0 } } },
	/* ICMPv6 needs 4 bytes (type, code, checksum). */
	{ "qinq ipv6 icmpv6", k_qinq_v6_icmp6, S6, NULL, XW_TUN_NONE,
	  { { 22, XW_EV_VLAN_TRUNC, L_NONE, 0 },
	    { 62, XW_EV_IPV6_TRUNC, L_NONE, 0 },
	    { 66, XW_EV_ICMPV6_TRUNC, L_OUTER, 0 } } },
	/* Until the inner IPv4 header is whole the outer headers stay;
	 * from then on the inner ones, even with the inner TCP cut. */
	{ "vxlan inner ipv4 tcp", k_vxlan, S4, IS4, XW_TUN_VXLAN,
	  { { 34, XW_EV_IPV4_TRUNC, L_NONE, 0 },
	    { 42, XW_EV_UDP_TRUNC, L_OUTER, 0 },
	    { 64, XW_EV_TUNNEL_TRUNC, L_OUTER, 1 },
	    { 84, XW_EV_IPV4_TRUNC, L_OUTER, 1 },
	    { 104, XW_EV_TCP_TRUNC, L_INNER, 0 } } },
	/* GRE optional fields are not bounds-checked on their own: a cut
	 * in them shows as the inner IPv6 header being cut. */
	{ "gre csum+key inner ipv6 udp", k_gre_v6, S4, IS6, XW_TUN_GRE,
	  { { 34, XW_EV_IPV4_TRUNC, L_NONE, 0 },
	    { 38, XW_EV_TUNNEL_TRUNC, L_OUTER, 0 },
	    { 86, XW_EV_IPV6_TRUNC, L_OUTER, 0 },
	    { 94, XW_EV_UDP_TRUNC, L_INNER, 0 } } },
	/* ICMP type/code are read from the first 4 bytes. */
	{ "geneve options inner ethernet ipv4 icmp", k_geneve, S4, IS4,
	  XW_TUN_GENEVE,
	  { { 34, XW_EV_IPV4_TRUNC, L_NONE, 0 },
	    { 42, XW_EV_UDP_TRUNC, L_OUTER, 0 },
	    { 72, XW_EV_TUNNEL_TRUNC, L_OUTER, 1 },
	    { 92, XW_EV_IPV4_TRUNC, L_OUTER, 1 },
	    { 96, XW_EV_ICMP_TRUNC, L_INNER, 0 } } },
	{ "ipv4-in-ipv6 udp", k_ip4in6, S6, IS4, XW_TUN_IPIP,
	  { { 54, XW_EV_IPV6_TRUNC, L_NONE, 0 },
	    { 74, XW_EV_IPV4_TRUNC, L_OUTER, 0 },
	    { 82, XW_EV_UDP_TRUNC, L_INNER, 0 } } },
};

/* What a cut at len must show, from the kind's segments. */
static struct cut_seg seg_at(const struct cut_kind *k, size_t len)
{
	struct cut_seg whole = {
		.end = UINT16_MAX,
		.event = XW_EV_NONE,
		.layer = k->inner_src ? L_INNER : L_OUTER,
		.l4_valid = 1,
	};

	for (int i = 0; i < SEG_MAX && k->segs[i].end; i++)
		if (len < k->segs[i].end)
			return k->segs[i];
	return whole;
}

static int ip_ver_of(const char *addr)
{
	return strchr(addr, ':') ? 6 : 4;
}

/* Deny rule mode of a cut loop. */
enum rule_on { RULE_NONE, RULE_INNERMOST, RULE_OUTER };

#define RULE_ID 9

/* Checks one cut; returns the mismatches, printed with their cut. */
static int check_cut(const struct cut_kind *k, size_t len,
		     const struct xwt_result *res, enum rule_on on)
{
	struct cut_seg s = seg_at(k, len);
	const struct xw_record *r = &res->recs[0];
	const char *src = s.layer == L_INNER ? k->inner_src :
			  s.layer == L_OUTER ? k->outer_src : NULL;
	uint8_t want_src[16];
	uint32_t want_xdp;
	char desc[128];
	int bad = 0;

	snprintf(desc, sizeof(desc), "%s cut at %zu (%s)", k->desc, len,
		 on == RULE_NONE ? "no rule" :
		 on == RULE_INNERMOST ? "rule on innermost source" :
					"rule on outer source");

#define EXPECT(cond, ...)                                 \
	do {                                              \
		if (!(cond)) {                            \
			print_error("%s: ", desc);        \
			print_error(__VA_ARGS__);         \
			print_error("\n");                \
			bad++;                            \
		}                                         \
	} while (0)

	if (len < 14) {
		/* The kernel refuses frames shorter than Ethernet. */
		EXPECT(res->err == -EINVAL, "test_run returned %d, want %d",
		       res->err, -EINVAL);
		EXPECT(xwt_traffic_packets(res) == 0, "counted a refused run");
		for (int ev = 0; ev < XW_EV_COUNT; ev++)
			EXPECT(res->events[ev] == 0, "event %s moved",
			       xw_event_name(ev));
		EXPECT(res->nrec == 0, "%u records", res->nrec);
		return bad;
	}
	EXPECT(res->err == 0, "test_run failed: %s", strerror(-res->err));
	EXPECT(res->nrec == 1, "%u records, want 1", res->nrec);
	if (bad)
		return bad;

	/* The rule's source is read iff the record shows it. */
	if (on == RULE_INNERMOST)
		want_xdp = s.layer == (k->inner_src ? L_INNER : L_OUTER) ?
				   XDP_DROP :
				   XDP_PASS;
	else if (on == RULE_OUTER)
		want_xdp = s.layer == L_OUTER ? XDP_DROP : XDP_PASS;
	else
		want_xdp = XDP_PASS;
	EXPECT(res->retval == want_xdp, "verdict %u, want %u", res->retval,
	       want_xdp);
	EXPECT(r->action == (want_xdp == XDP_DROP ? XW_ACT_DROP : XW_ACT_PASS),
	       "record action %u", r->action);
	EXPECT(r->rule_id == (want_xdp == XDP_DROP ? RULE_ID : 0),
	       "record rule_id %u", r->rule_id);

	/* Counted once, in the slot the record implies, with its length. */
	EXPECT(xwt_traffic_packets(res) == 1, "%llu traffic packets",
	       (unsigned long long)xwt_traffic_packets(res));
	EXPECT(res->traffic[xwt_slot_of(r)].packets == 1 &&
		       res->traffic[xwt_slot_of(r)].bytes == len,
	       "traffic slot %u does not hold this run", xwt_slot_of(r));
	EXPECT(r->pkt_len == len, "pkt_len %u", r->pkt_len);

	/* Exactly the expected parse error, or none. */
	EXPECT(xwt_parse_errors(res) == (s.event ? 1 : 0),
	       "%llu parse errors, want %d",
	       (unsigned long long)xwt_parse_errors(res), s.event ? 1 : 0);
	if (s.event)
		EXPECT(res->events[s.event] == 1, "%s not counted",
		       xw_event_name(s.event));
	EXPECT(!!(r->flags & XW_REC_PARSE_ERROR) == !!s.event,
	       "flags 0x%x, parse error %s", r->flags,
	       xw_event_name(s.event));
	EXPECT(!!(r->flags & XW_REC_L4_VALID) == s.l4_valid,
	       "flags 0x%x, l4 valid %d", r->flags, s.l4_valid);
	EXPECT(res->events[XW_EV_TUNNEL_DECAP] == (s.layer == L_INNER),
	       "tunnel_decapsulated %llu",
	       (unsigned long long)res->events[XW_EV_TUNNEL_DECAP]);
	EXPECT(res->events[XW_EV_RECORD_SAMPLED] == 1, "not sampled");
	EXPECT(res->events[XW_EV_RULE_EXPIRED_HIT] == 0 &&
		       res->events[XW_EV_RULE_L4_MISS] == 0 &&
		       res->events[XW_EV_RECORD_LOST_RINGBUF_FULL] == 0,
	       "rule or ring buffer event moved");

	/* The layer: its version, source and tunnel. */
	xwt_addr(src, want_src);
	EXPECT(r->ip_ver == (src ? ip_ver_of(src) : 0), "ip_ver %u",
	       r->ip_ver);
	EXPECT(!memcmp(r->saddr, want_src, 16), "saddr is not %s's",
	       src ? src : "(none)");
	EXPECT(r->tunnel == (s.layer == L_INNER ? k->tunnel : XW_TUN_NONE),
	       "tunnel %u", r->tunnel);
#undef EXPECT
	return bad;
}

static void rule_add(const char *src)
{
	char prefix[64];
	struct xw_rule rule = {
		.expires_ns = xwt_live(),
		.rule_id = RULE_ID,
		.action = XW_RULE_DROP,
	};

	snprintf(prefix, sizeof(prefix), "%s/%d", src,
		 ip_ver_of(src) == 6 ? 128 : 32);
	xwt_deny_add(env, prefix, &rule);
}

static void cut_loop(enum rule_on on)
{
	int failed = 0, runs = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct cut_kind *k = &kinds[i];
		struct xw_counter hits0, hits1;
		struct xwt_result res;
		uint64_t drops = 0;
		struct pktgen b;
		size_t full;

		if (on == RULE_OUTER && !k->inner_src)
			continue;
		xwt_rules_clear(env);
		if (on == RULE_INNERMOST)
			rule_add(k->inner_src ? k->inner_src : k->outer_src);
		else if (on == RULE_OUTER)
			rule_add(k->outer_src);
		hits0 = xwt_rule_hits(env, RULE_ID);

		pktgen__init(&b);
		full = k->build(&b);
		for (size_t len = 0; len <= full; len++) {
			xwt_run(env, b.buf, len, 1, &res);
			failed += check_cut(k, len, &res, on) != 0;
			drops += !res.err && res.retval == XDP_DROP;
			runs++;
		}
		/* Each drop counted once against the rule. */
		hits1 = xwt_rule_hits(env, RULE_ID);
		if (hits1.packets - hits0.packets != drops) {
			print_error("%s: rule hits %llu, drops %llu\n", k->desc,
				    (unsigned long long)(hits1.packets -
							 hits0.packets),
				    (unsigned long long)drops);
			failed++;
		}
		/* A rule loop that never drops tests nothing. */
		if (on != RULE_NONE && !drops) {
			print_error("%s: the rule never dropped\n", k->desc);
			failed++;
		}
	}
	xwt_rules_clear(env);
	if (failed)
		fail_msg("%d of %d cut runs failed", failed, runs);
}

static void test_cut_every_length(void **state)
{
	cut_loop(RULE_NONE);
}

static void test_cut_with_rule_on_innermost_source(void **state)
{
	cut_loop(RULE_INNERMOST);
}

static void test_cut_with_rule_on_outer_source(void **state)
{
	cut_loop(RULE_OUTER);
}

/* ---- specific reasons ---- */

static size_t v4_tcp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 100, .dport = 200,
					 .flags = PG_TCP_SYN, .window = 10 });
	return pktgen__finish(b);
}

static size_t v4_ihl4(struct pktgen *b)
{
	size_t len = v4_tcp(b);

	b->buf[14] = 0x44;
	return len;
}

/* An IPv6 header behind Ethertype 0x0800. */
static size_t v4_version6(struct pktgen *b)
{
	size_t len = v4_tcp(b);

	b->buf[14] = 0x65;
	return len;
}

static size_t v4_totlen19(struct pktgen *b)
{
	size_t len = v4_tcp(b);

	pg_put16(b->buf + 16, 19);
	return len;
}

/* IHL 6 (24 bytes) with total length 20: below the header with options. */
static size_t v4_opts_totlen20(struct pktgen *b)
{
	size_t len;

	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .optlen = 4 });
	pktgen__udp(b, 1, 2);
	len = pktgen__finish(b);
	pg_put16(b->buf + 16, 20);
	return len;
}

static size_t v4_ihl15(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4,
					   .optlen = 40 });
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t tcp_doff4(struct pktgen *b)
{
	size_t len = v4_tcp(b);

	b->buf[34 + 12] = 4 << 4;
	return len;
}

static size_t tcp_doff15(struct pktgen *b)
{
	size_t len;

	eth_ipv4(b, S4, D4);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 100, .dport = 200 });
	pktgen__payload(b, 20);
	len = pktgen__finish(b);
	b->buf[34 + 12] = 15 << 4; /* 60 bytes; 40 there */
	return len;
}

static size_t v4_udp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 300, 400);
	pktgen__payload(b, 10);
	return pktgen__finish(b);
}

static size_t v4_icmp(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__icmp(b, 3, 1);
	pktgen__payload(b, 10);
	return pktgen__finish(b);
}

static size_t v6_icmp6(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__icmpv6(b, 2, 0);
	return pktgen__finish(b);
}

static size_t v6_version4(struct pktgen *b)
{
	size_t len = v6_icmp6(b);

	b->buf[14] = 0x45;
	return len;
}

static size_t v6_dest_udp(struct pktgen *b)
{
	eth_ipv6(b, S6, D6);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 0);
	pktgen__ipv6_ext(b, PG_IPPROTO_DEST, 0);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t vlan_v4(struct pktgen *b)
{
	pktgen__eth(b);
	pktgen__vlan(b, PG_ETH_P_8021Q, 3);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = S4, .daddr = D4 });
	return pktgen__finish(b);
}

static size_t vxlan(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49152, XW_VXLAN_PORT);
	pktgen__vxlan(b, 1);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t geneve(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49152, XW_GENEVE_PORT);
	pktgen__geneve(b, 1, 0);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t gre(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	pktgen__gre(b, 0);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t ipip(struct pktgen *b)
{
	eth_ipv4(b, S4, D4);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

#define V4(s, d) .saddr = s, .daddr = d, .ip_ver = 4, .ttl = OUTER_TTL
#define V6(s, d) .saddr = s, .daddr = d, .ip_ver = 6, .ttl = OUTER_TTL
#define ERR .flags = XW_REC_PARSE_ERROR
#define ERR_L4 .flags = XW_REC_PARSE_ERROR | XW_REC_L4_VALID
#define EV(e) { e }

static const struct xwt_case reasons[] = {
	{ "ethernet + 10 bytes of ipv4", v4_tcp, 24,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_TRUNC), { ERR } } },
	{ "ipv4 ihl 4", v4_ihl4, 0,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_BAD_HDR), { ERR } } },
	{ "ipv4 ethertype, version 6", v4_version6, 0,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_BAD_HDR), { ERR } } },
	{ "ipv4 total length 19 < ihl*4", v4_totlen19, 0,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_BAD_LEN), { ERR } } },
	{ "ipv4 ihl 6, total length 20", v4_opts_totlen20, 0,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_BAD_LEN), { ERR } } },
	{ "ipv4 ihl 15, options cut", v4_ihl15, 14 + 40,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_TRUNC), { ERR } } },
	{ "tcp doff 4", tcp_doff4, 0,
	  { XDP_PASS, XW_L4_TCP, EV(XW_EV_TCP_BAD_DOFF),
	    { V4(S4, D4), .l4_proto = 6, .ip_len = 40, ERR } } },
	{ "tcp doff 15, 40 bytes there", tcp_doff15, 0,
	  { XDP_PASS, XW_L4_TCP, EV(XW_EV_TCP_TRUNC),
	    { V4(S4, D4), .l4_proto = 6, .ip_len = 60, ERR } } },
	{ "tcp 19 of 20 bytes", v4_tcp, 14 + 20 + 19,
	  { XDP_PASS, XW_L4_TCP, EV(XW_EV_TCP_TRUNC),
	    { V4(S4, D4), .l4_proto = 6, .ip_len = 40, ERR } } },
	{ "udp 7 of 8 bytes", v4_udp, 14 + 20 + 7,
	  { XDP_PASS, XW_L4_UDP, EV(XW_EV_UDP_TRUNC),
	    { V4(S4, D4), .l4_proto = 17, .ip_len = 38, ERR } } },
	{ "icmp 3 bytes", v4_icmp, 14 + 20 + 3,
	  { XDP_PASS, XW_L4_ICMP, EV(XW_EV_ICMP_TRUNC),
	    { V4(S4, D4), .l4_proto = 1, .ip_len = 38, ERR } } },
	{ "icmp 4 bytes: type and code are there", v4_icmp, 14 + 20 + 4,
	  { XDP_PASS, XW_L4_ICMP, {},
	    { V4(S4, D4), .l4_proto = 1, .sport = 3, .dport = 1,
	      .ip_len = 38, .l4_payload_len = 10,
	      .flags = XW_REC_L4_VALID } } },
	{ "icmpv6 3 bytes", v6_icmp6, 14 + 40 + 3,
	  { XDP_PASS, XW_L4_ICMPV6, EV(XW_EV_ICMPV6_TRUNC),
	    { V6(S6, D6), .l4_proto = 58, .ip_len = 48, ERR } } },
	{ "ipv6 ethertype, version 4", v6_version4, 0,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV6_BAD_HDR), { ERR } } },
	{ "ipv6 39 of 40 bytes", v6_icmp6, 14 + 39,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV6_TRUNC), { ERR } } },
	{ "ipv6 second extension header cut", v6_dest_udp, 14 + 40 + 8 + 3,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV6_EXT_TRUNC),
	    { V6(S6, D6), .ip_len = 64, ERR } } },
	{ "vlan tag 2 of 4 bytes", vlan_v4, 14 + 2,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_VLAN_TRUNC), { ERR } } },
	{ "vxlan header cut: outer headers", vxlan, 14 + 20 + 8 + 7,
	  { XDP_PASS, XW_L4_UDP, EV(XW_EV_TUNNEL_TRUNC),
	    { V4(S4, D4), .l4_proto = 17, .sport = 49152,
	      .dport = XW_VXLAN_PORT, .ip_len = 78, .l4_payload_len = 50,
	      ERR_L4 } } },
	{ "vxlan inner ethernet cut: outer headers", vxlan,
	  14 + 20 + 8 + 8 + 13,
	  { XDP_PASS, XW_L4_UDP, EV(XW_EV_TUNNEL_TRUNC),
	    { V4(S4, D4), .l4_proto = 17, .sport = 49152,
	      .dport = XW_VXLAN_PORT, .ip_len = 78, .l4_payload_len = 50,
	      ERR_L4 } } },
	{ "geneve header cut: outer headers", geneve, 14 + 20 + 8 + 4,
	  { XDP_PASS, XW_L4_UDP, EV(XW_EV_TUNNEL_TRUNC),
	    { V4(S4, D4), .l4_proto = 17, .sport = 49152,
	      .dport = XW_GENEVE_PORT, .ip_len = 64, .l4_payload_len = 36,
	      ERR_L4 } } },
	{ "gre header cut: outer headers", gre, 14 + 20 + 3,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_TUNNEL_TRUNC),
	    { V4(S4, D4), .l4_proto = 47, .ip_len = 52, ERR } } },
	{ "ipip inner ipv4 cut: outer headers", ipip, 14 + 20 + 19,
	  { XDP_PASS, XW_L4_OTHER, EV(XW_EV_IPV4_TRUNC),
	    { V4(S4, D4), .l4_proto = 4, .ip_len = 48, ERR } } },
};

const struct xwt_case *xwt_truncate_cases(size_t *n)
{
	*n = ARRAY_SIZE(reasons);
	return reasons;
}

static void test_reasons(void **state)
{
	int failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		const struct xwt_case *c = &reasons[i];
		struct xwt_result res;
		struct pktgen b;
		size_t len;

		pktgen__init(&b);
		len = c->build(&b);
		if (c->cut) {
			assert_true(c->cut < len);
			len = c->cut;
		}
		xwt_run(env, b.buf, len, 1, &res);
		failed += xwt_match(c->desc, &res, len, &c->expect) != 0;
	}
	if (failed)
		fail_msg("%d of %zu reason fixtures failed", failed,
			 ARRAY_SIZE(reasons));
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

int xwt_group_truncate(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_every_length),
		cmocka_unit_test(test_cut_with_rule_on_innermost_source),
		cmocka_unit_test(test_cut_with_rule_on_outer_source),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests_name("truncate", tests, group_setup,
					   group_teardown);
}
