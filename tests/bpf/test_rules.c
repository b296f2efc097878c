// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_rules.c - deny rule semantics, IPv4 and IPv6, with struct xw_rule
 * values written straight into the LPM maps: live drop, expired, monitor,
 * allowlist, longest prefix, L4 qualifiers, TCP flags qualifiers,
 * truncated L4, and tunnels
 * (matched on the inner source). Each case checks the verdict, the
 * record's action and rule_id, the traffic slot, the events, and the
 * rule's own hit counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "fixtures.h"

static struct xwt_env *env;

/* The two families a test runs over; the v6 prefixes mirror the v4 ones. */
struct fam {
	const char *net24; /* a /24 (v4) or /120 (v6) holding src */
	const char *net16; /* a wider prefix holding it */
	const char *src; /* the packet's source */
	const char *host; /* src as a host prefix */
	const char *other; /* another source inside net24 */
	const char *dst;
	int ver;
};

static const struct fam fams[] = {
	{ "198.51.100.0/24", "198.51.0.0/16", "198.51.100.7",
	  "198.51.100.7/32", "198.51.100.8", D4, 4 },
	{ "2001:db8:1::/120", "2001:db8::/32", "2001:db8:1::7",
	  "2001:db8:1::7/128", "2001:db8:1::8", D6, 6 },
};

/* Packet parameters for the builders below. */
struct pkt_spec {
	const char *src, *dst;
	uint8_t proto; /* 6, 17 or ICMP of the family */
	uint16_t sport, dport;
	uint16_t cut; /* 0: whole */
	int later_frag; /* a non-first fragment: no L4 header */
	uint8_t tcp_flags; /* TCP only; 0: SYN */
};

static size_t build(struct pktgen *b, const struct pkt_spec *s)
{
	int v6 = strchr(s->src, ':') != NULL;

	pktgen__init(b);
	if (v6)
		eth_ipv6(b, s->src, s->dst);
	else
		eth_ipv4(b, s->src, s->dst);
	if (s->later_frag) {
		if (v6) {
			pktgen__ipv6_frag(b, 1448, 0);
		} else {
			pg_put16(b->buf + 14 + 6, 181); /* offset 1448 */
		}
		pktgen__link(b, 0, s->proto);
		pktgen__payload(b, 16);
		return pktgen__finish(b);
	}
	if (s->proto == PG_IPPROTO_TCP)
		pktgen__tcp(b, &(struct pg_tcp){ .sport = s->sport,
						 .dport = s->dport,
						 .flags = s->tcp_flags ?
								  s->tcp_flags :
								  PG_TCP_SYN,
						 .window = 1 });
	else if (s->proto == PG_IPPROTO_UDP)
		pktgen__udp(b, s->sport, s->dport);
	else if (v6)
		pktgen__icmpv6(b, 128, 0);
	else
		pktgen__icmp(b, 8, 0);
	pktgen__payload(b, 10);
	return pktgen__finish(b);
}

/* What a rules case must show; the rest of the record is the packet's. */
struct want {
	uint32_t xdp;
	uint8_t action;
	uint32_t rule_id; /* in the record */
	uint8_t event; /* besides the sample, 0: none */
	uint8_t event2;
	uint32_t hits_id; /* rule whose xw_rule_stats must move by one */
};

/* A packet from src to the family's destination; then pkt_spec fields. */
#define PKT(f_, src_, proto_, sport_, dport_, ...)                       \
	(&(struct pkt_spec){ .src = (src_), .dst = (f_)->dst,            \
			     .proto = (proto_), .sport = (sport_),        \
			     .dport = (dport_), __VA_ARGS__ })
/* A verdict and record action; then struct want fields. */
#define WANT(xdp_, action_, ...) \
	(&(struct want){ .xdp = (xdp_), .action = (action_), __VA_ARGS__ })

static uint8_t l4_of(uint8_t proto)
{
	return proto == PG_IPPROTO_TCP ? XW_L4_TCP :
	       proto == PG_IPPROTO_UDP ? XW_L4_UDP :
	       proto == PG_IPPROTO_ICMP ? XW_L4_ICMP :
					   XW_L4_ICMPV6;
}

/* Runs s and checks it against w; fails the test on a mismatch. */
static void run_case(const char *desc, const struct pkt_spec *s,
		     const struct want *w)
{
	int v6 = strchr(s->src, ':') != NULL;
	struct xw_counter before[4], after[4];
	static const uint32_t ids[4] = { 1, 2, 3, 4 };
	struct xwt_expect e = { 0 };
	struct xwt_result res;
	struct pktgen b;
	size_t len;
	char d[160];

	snprintf(d, sizeof(d), "%s (ipv%d)", desc, v6 ? 6 : 4);
	len = build(&b, s);
	if (s->cut)
		len = s->cut;
	for (int i = 0; i < 4; i++)
		before[i] = xwt_rule_hits(env, ids[i]);
	xwt_run(env, b.buf, len, 1, &res);
	for (int i = 0; i < 4; i++)
		after[i] = xwt_rule_hits(env, ids[i]);

	/* The record as the parser makes it, then what rules change. */
	e.xdp = w->xdp;
	e.rec.saddr = s->src;
	e.rec.daddr = s->dst;
	e.rec.ip_ver = v6 ? 6 : 4;
	e.rec.ttl = OUTER_TTL;
	e.rec.l4_proto = s->proto;
	if (s->later_frag) {
		e.l4 = XW_L4_OTHER;
		e.rec.ip_len = (v6 ? 48 : 20) + 16;
		e.rec.frag = XW_FRAG_LATER | (v6 ? XW_FRAG_V6HDR : 0);
	} else {
		size_t l4len = s->proto == PG_IPPROTO_TCP ? 20 : 8;

		e.l4 = l4_of(s->proto);
		e.rec.ip_len = (v6 ? 40 : 20) + l4len + 10;
		if (s->cut) {
			e.rec.flags = XW_REC_PARSE_ERROR;
		} else {
			e.rec.flags = XW_REC_L4_VALID;
			e.rec.l4_payload_len =
				e.l4 == XW_L4_ICMPV6 ? 14 : 10;
			if (e.l4 == XW_L4_TCP || e.l4 == XW_L4_UDP) {
				e.rec.sport = s->sport;
				e.rec.dport = s->dport;
			} else {
				e.rec.sport = v6 ? 128 : 8;
			}
			if (e.l4 == XW_L4_TCP) {
				e.rec.tcp_flags = s->tcp_flags ? s->tcp_flags :
								 PG_TCP_SYN;
				e.rec.tcp_window = 1;
			}
		}
	}
	e.rec.action = w->action;
	e.rec.rule_id = w->rule_id;
	e.events[0] = w->event;
	e.events[1] = w->event2;
	xwt_check(d, &res, len, &e);

	for (int i = 0; i < 4; i++) {
		uint64_t dp = after[i].packets - before[i].packets;
		uint64_t db = after[i].bytes - before[i].bytes;
		int hit = ids[i] == w->hits_id;

		if (dp != (uint64_t)hit || db != (hit ? len : 0))
			fail_msg("%s: rule %u hits moved %llu/%llu, want "
				 "%d/%zu",
				 d, ids[i], (unsigned long long)dp,
				 (unsigned long long)db, hit, hit ? len : 0);
	}
}

static struct xw_rule rule(uint32_t id, uint8_t action, uint64_t expires)
{
	return (struct xw_rule){ .expires_ns = expires, .rule_id = id,
				 .action = action };
}

static uint8_t icmp_of(const struct fam *f)
{
	return f->ver == 6 ? PG_IPPROTO_ICMPV6 : PG_IPPROTO_ICMP;
}

static void test_no_rule(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];

		/* A rule elsewhere must not match. */
		xwt_deny_add(env, f->ver == 6 ? "2001:db8:9::/48" :
						"192.0.2.0/24",
			     &(struct xw_rule){ .expires_ns = xwt_live(),
						.rule_id = 1 });
		run_case("no rule for the source",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_PASS));
	}
}

static void test_live_drop(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule r = rule(1, XW_RULE_DROP, xwt_live());

		xwt_deny_add(env, f->net24, &r);
		run_case("live drop rule",
			 PKT(f, f->src, 6, 1000, 80),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
		run_case("live drop rule, udp",
			 PKT(f, f->other, 17, 53, 53),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
	}
}

/* Ten drops in one test_run: the per-rule counter is exact too. */
static void test_drop_repeat_counts(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule r = rule(2, XW_RULE_DROP, xwt_live());
		struct xw_counter h0, h1;
		struct xwt_result res;
		struct pktgen b;
		size_t len;

		xwt_deny_add(env, f->host, &r);
		len = build(&b, PKT(f, f->src, 17, 1, 2));
		h0 = xwt_rule_hits(env, 2);
		xwt_run(env, b.buf, len, 10, &res);
		h1 = xwt_rule_hits(env, 2);
		assert_int_equal(res.err, 0);
		assert_int_equal(res.retval, XDP_DROP);
		assert_int_equal(h1.packets - h0.packets, 10);
		assert_int_equal(h1.bytes - h0.bytes, 10 * len);
		assert_int_equal(res.traffic[XW_TRAFFIC_IDX(
						     f->ver == 6 ? XW_IPVER_6 :
								   XW_IPVER_4,
						     XW_L4_UDP, XW_ACT_DROP)]
					 .packets,
				 10);
		assert_int_equal(xwt_traffic_packets(&res), 10);
		assert_int_equal(res.nrec, 10);
		xwt_rules_clear(env);
	}
}

static void test_expired(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule r = rule(1, XW_RULE_DROP, xwt_expired());

		xwt_deny_add(env, f->net24, &r);
		run_case("expired drop rule",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_EXPIRED_HIT));
		/* expires_ns 0 never matches (rules.h). */
		r = rule(1, XW_RULE_DROP, 0);
		xwt_deny_add(env, f->net24, &r);
		run_case("rule with expires_ns 0",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_EXPIRED_HIT));
	}
}

static void test_monitor(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule r = rule(3, XW_RULE_MONITOR, xwt_live());

		xwt_deny_add(env, f->net16, &r);
		run_case("monitor rule",
			 PKT(f, f->src, 17, 7, 8),
			 WANT(XDP_PASS, XW_ACT_MONITOR, .rule_id = 3,
			      .hits_id = 3));
	}
}

static void test_allowlist(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule r = rule(4, XW_RULE_DROP, xwt_live());

		xwt_deny_add(env, f->net16, &r);
		xwt_allow_add(env, f->host);
		run_case("allowlisted source under a drop rule",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_ALLOW, .rule_id = 4));
		run_case("its neighbour is not allowlisted",
			 PKT(f, f->other, 6, 1, 2),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 4,
			      .hits_id = 4));
	}
}

/* The allowlist alone does nothing: it is consulted on a deny hit only. */
static void test_allowlist_without_rule(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];

		xwt_allow_add(env, f->net16);
		run_case("allowlisted, no deny rule",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_PASS));
	}
}

static void test_longest_prefix(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule wide = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule host = rule(2, XW_RULE_MONITOR, xwt_live());

		xwt_deny_add(env, f->net24, &wide);
		xwt_deny_add(env, f->host, &host);
		run_case("host monitor rule inside a drop prefix",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_MONITOR, .rule_id = 2,
			      .hits_id = 2));
		run_case("rest of the drop prefix",
			 PKT(f, f->other, 6, 1, 2),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
	}
}

static void test_l4_qualified(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule ntp = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule ssh = rule(2, XW_RULE_DROP, xwt_live());

		ntp.l4_proto = PG_IPPROTO_UDP;
		ntp.sport = 123;
		ssh.l4_proto = PG_IPPROTO_TCP;
		ssh.dport = 22;
		xwt_deny_add(env, f->host, &ntp);
		xwt_deny_add(env, f->other, &ssh);

		run_case("udp sport 123 rule, udp sport 123",
			 PKT(f, f->src, 17, 123, 40000),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
		run_case("udp sport 123 rule, udp sport 124",
			 PKT(f, f->src, 17, 124, 40000),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		run_case("udp sport 123 rule, tcp sport 123",
			 PKT(f, f->src, 6, 123, 40000),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		run_case("udp sport 123 rule, icmp",
			 PKT(f, f->src, icmp_of(f), 0, 0),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		/* A later fragment has no ports to qualify. */
		run_case("udp sport 123 rule, later udp fragment",
			 PKT(f, f->src, 17, 0, 0, .later_frag = 1),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		run_case("tcp dport 22 rule, tcp dport 22",
			 PKT(f, f->other, 6, 5555, 22),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 2,
			      .hits_id = 2));
		run_case("tcp dport 22 rule, tcp dport 23",
			 PKT(f, f->other, 6, 5555, 23),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
	}
}

/* A narrower rule that does not apply must not shelter traffic from a
 * broader one: the program goes on to shorter prefixes. */
static void test_fallback_to_shorter_prefix(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule wide = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule dead = rule(2, XW_RULE_DROP, xwt_expired());
		struct xw_rule ntp = rule(3, XW_RULE_MONITOR, xwt_live());

		xwt_deny_add(env, f->net16, &wide);
		xwt_deny_add(env, f->net24, &dead);
		run_case("expired /24 inside a live drop /16",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .event = XW_EV_RULE_EXPIRED_HIT, .hits_id = 1));
		ntp.l4_proto = PG_IPPROTO_UDP;
		ntp.sport = 123;
		xwt_deny_add(env, f->host, &ntp);
		run_case("udp/123 monitor host rule, its own traffic",
			 PKT(f, f->src, 17, 123, 9),
			 WANT(XDP_PASS, XW_ACT_MONITOR, .rule_id = 3,
			      .hits_id = 3));
		run_case("udp/123 host rule, tcp: past it and the expired /24 to the /16",
			 PKT(f, f->src, 6, 1, 2),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .event = XW_EV_RULE_L4_MISS,
			      .event2 = XW_EV_RULE_EXPIRED_HIT, .hits_id = 1));
	}
}

/* Reflection: rules keyed by the victim, qualified by source and L4. */
static void test_dst_rules(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule dns = rule(4, XW_RULE_DROP, xwt_live());
		struct xw_rule ntp = rule(5, XW_RULE_DROP, xwt_live());
		struct xw_rule host = rule(6, XW_RULE_MONITOR, xwt_live());
		char victim[64];

		snprintf(victim, sizeof(victim), "%s/%d", f->dst, f->ver == 6 ? 128 : 32);
		dns.l4_proto = PG_IPPROTO_UDP;
		dns.sport = 53;
		ntp.l4_proto = PG_IPPROTO_UDP;
		ntp.sport = 123;
		xwt_dst_add(env, victim, NULL, &dns);
		xwt_dst_add(env, victim, f->net24, &ntp);
		run_case("dst rule: udp from port 53 to the victim, any source",
			 PKT(f, f->other, 17, 53, 40000),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 4, .hits_id = 4));
		run_case("dst rule: udp from port 54 to the victim",
			 PKT(f, f->other, 17, 54, 40000),
			 WANT(XDP_PASS, XW_ACT_PASS));
		run_case("dst rule: udp/123 from inside its source prefix",
			 PKT(f, f->src, 17, 123, 40000),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 5, .hits_id = 5));
		run_case("dst rule: udp/123 from outside its source prefix",
			 PKT(f, f->dst, 17, 123, 40000),
			 WANT(XDP_PASS, XW_ACT_PASS));
		/* A source-keyed rule that applies comes first. */
		xwt_deny_add(env, f->host, &host);
		run_case("source rule before dst rule",
			 PKT(f, f->src, 17, 53, 40000),
			 WANT(XDP_PASS, XW_ACT_MONITOR, .rule_id = 6, .hits_id = 6));
	}
}

/* A rate-limit rule passes its bucket (one second's worth) and drops the
 * rest; a test run of 100 packets takes far less than a token's time. */
static void test_rate_limit(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		/* An id of its own per family: a bucket lives by rule id. */
		struct xw_rule r = rule(7 + i, XW_RULE_RATE_LIMIT, xwt_live());
		struct xwt_result res;
		struct pktgen b;
		size_t len;
		uint8_t ipver = f->ver == 6 ? XW_IPVER_6 : XW_IPVER_4;

		r.rate_pps = 10;
		xwt_deny_add(env, f->host, &r);
		len = build(&b, PKT(f, f->src, 17, 1, 2));
		xwt_run(env, b.buf, len, 100, &res);
		assert_int_equal(res.err, 0);
		assert_int_equal(res.retval, XDP_DROP);
		assert_int_equal(res.traffic[XW_TRAFFIC_IDX(ipver, XW_L4_UDP,
							    XW_ACT_MONITOR)].packets,
				 10);
		assert_int_equal(res.traffic[XW_TRAFFIC_IDX(ipver, XW_L4_UDP,
							    XW_ACT_DROP)].packets,
				 90);
		assert_int_equal(xwt_rule_hits(env, 7 + i).packets, 100);
		xwt_rules_clear(env);
	}
}

/* A rule's TCP flags: mask SYN|ACK value SYN ("syn"), as the detector
 * answers a SYN flood. */
static struct xw_rule syn_rule(uint32_t id, uint8_t action)
{
	struct xw_rule r = rule(id, action, xwt_live());

	r.l4_proto = PG_IPPROTO_TCP;
	r.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
	r.tcp_flags_value = XW_TCP_SYN;
	return r;
}

/* The SYN qualifier drops a connection's first packet and nothing else of
 * TCP between the same two hosts: SYN-ACK, ACK, data and RST pass. A rule
 * whose flags miss sends the search on to shorter prefixes, like a port. */
static void test_tcp_flags_syn(void **state)
{
	static const struct {
		const char *what;
		uint8_t flags;
	} spared[] = {
		{ "SYN-ACK", PG_TCP_SYN | PG_TCP_ACK },
		{ "ACK", PG_TCP_ACK },
		{ "data (PSH-ACK)", PG_TCP_PSH | PG_TCP_ACK },
		{ "RST", PG_TCP_RST },
		{ "RST-ACK", PG_TCP_RST | PG_TCP_ACK },
		{ "FIN-ACK", PG_TCP_FIN | PG_TCP_ACK },
	};

	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule syn = syn_rule(1, XW_RULE_DROP);
		struct xw_rule wide = rule(3, XW_RULE_MONITOR, xwt_live());
		char d[96];

		syn.dport = 80;
		xwt_deny_add(env, f->host, &syn);
		run_case("syn rule, SYN",
			 PKT(f, f->src, 6, 40000, 80),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
		run_case("syn rule, SYN with ECE and CWR (ECN setup)",
			 PKT(f, f->src, 6, 40000, 80,
			     .tcp_flags = PG_TCP_SYN | 0x40 | 0x80),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
		for (size_t k = 0; k < sizeof(spared) / sizeof(spared[0]); k++) {
			snprintf(d, sizeof(d), "syn rule, %s", spared[k].what);
			run_case(d,
				 PKT(f, f->src, 6, 40000, 80,
				     .tcp_flags = spared[k].flags),
				 WANT(XDP_PASS, XW_ACT_PASS,
				      .event = XW_EV_RULE_L4_MISS));
		}
		run_case("syn rule, SYN to another port",
			 PKT(f, f->src, 6, 40000, 81),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		run_case("syn rule, udp",
			 PKT(f, f->src, 17, 40000, 80),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));

		/* A broader rule behind it still sees what the flags spare. */
		xwt_deny_add(env, f->net24, &wide);
		run_case("syn host rule over a monitor /24, SYN",
			 PKT(f, f->src, 6, 40000, 80),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .hits_id = 1));
		run_case("syn host rule over a monitor /24, ACK: the /24",
			 PKT(f, f->src, 6, 40000, 80, .tcp_flags = PG_TCP_ACK),
			 WANT(XDP_PASS, XW_ACT_MONITOR, .rule_id = 3,
			      .event = XW_EV_RULE_L4_MISS, .hits_id = 3));
		xwt_rules_clear(env);
	}
}

/* The detector's answer to a spoofed SYN flood: keyed by the victim, any
 * source, SYN only. */
static void test_tcp_flags_dst_rule(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule syn = syn_rule(2, XW_RULE_DROP);
		char victim[64];

		snprintf(victim, sizeof(victim), "%s/%d", f->dst,
			 f->ver == 6 ? 128 : 32);
		xwt_dst_add(env, victim, NULL, &syn);
		run_case("dst syn rule, SYN from anywhere",
			 PKT(f, f->other, 6, 1234, 443),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 2,
			      .hits_id = 2));
		run_case("dst syn rule, SYN-ACK",
			 PKT(f, f->other, 6, 1234, 443,
			     .tcp_flags = PG_TCP_SYN | PG_TCP_ACK),
			 WANT(XDP_PASS, XW_ACT_PASS));
		run_case("dst syn rule, data",
			 PKT(f, f->other, 6, 1234, 443,
			     .tcp_flags = PG_TCP_PSH | PG_TCP_ACK),
			 WANT(XDP_PASS, XW_ACT_PASS));
		run_case("dst syn rule, RST",
			 PKT(f, f->other, 6, 1234, 443, .tcp_flags = PG_TCP_RST),
			 WANT(XDP_PASS, XW_ACT_PASS));
		xwt_rules_clear(env);
	}
}

/* Rate-limiting the victim's SYNs leaves its established connections
 * alone: 100 SYNs meet the bucket, 100 ACKs from the same source to the
 * same port never touch it. */
static void test_tcp_flags_rate_limit(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		/* An id of its own per family: a bucket lives by rule id. */
		struct xw_rule r = syn_rule(9 + i, XW_RULE_RATE_LIMIT);
		uint8_t ipver = f->ver == 6 ? XW_IPVER_6 : XW_IPVER_4;
		uint32_t mon = XW_TRAFFIC_IDX(ipver, XW_L4_TCP, XW_ACT_MONITOR);
		uint32_t drop = XW_TRAFFIC_IDX(ipver, XW_L4_TCP, XW_ACT_DROP);
		uint32_t pass = XW_TRAFFIC_IDX(ipver, XW_L4_TCP, XW_ACT_PASS);
		struct xwt_result res;
		struct pktgen b;
		char victim[64];
		size_t len;

		snprintf(victim, sizeof(victim), "%s/%d", f->dst,
			 f->ver == 6 ? 128 : 32);
		r.rate_pps = 10;
		xwt_dst_add(env, victim, NULL, &r);
		len = build(&b, PKT(f, f->src, 6, 40000, 80));
		xwt_run(env, b.buf, len, 100, &res);
		assert_int_equal(res.err, 0);
		assert_int_equal(res.retval, XDP_DROP);
		assert_int_equal(res.traffic[mon].packets, 10);
		assert_int_equal(res.traffic[drop].packets, 90);
		assert_int_equal(xwt_rule_hits(env, 9 + i).packets, 100);

		len = build(&b, PKT(f, f->src, 6, 40000, 80,
				    .tcp_flags = PG_TCP_ACK));
		xwt_run(env, b.buf, len, 100, &res);
		assert_int_equal(res.err, 0);
		assert_int_equal(res.retval, XDP_PASS);
		assert_int_equal(res.traffic[pass].packets, 100);
		assert_int_equal(res.traffic[mon].packets, 0);
		assert_int_equal(res.traffic[drop].packets, 0);
		assert_int_equal(xwt_rule_hits(env, 9 + i).packets, 100);
		xwt_rules_clear(env);
	}
}

/* Mask 0 is "any flags", as every rule was before the qualifier; the
 * other words of the CLI's vocabulary match what they say. */
static void test_tcp_flags_mask_zero_and_words(void **state)
{
	static const uint8_t all[] = {
		PG_TCP_SYN, PG_TCP_SYN | PG_TCP_ACK, PG_TCP_ACK,
		PG_TCP_PSH | PG_TCP_ACK, PG_TCP_RST, PG_TCP_FIN | PG_TCP_ACK,
	};

	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule any = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule rst = rule(2, XW_RULE_DROP, xwt_live());
		struct xw_rule ack = rule(4, XW_RULE_DROP, xwt_live());
		char d[96];

		any.l4_proto = PG_IPPROTO_TCP;
		xwt_deny_add(env, f->host, &any);
		for (size_t k = 0; k < sizeof(all); k++) {
			snprintf(d, sizeof(d), "tcp rule, mask 0, flags 0x%02x",
				 all[k]);
			run_case(d, PKT(f, f->src, 6, 1, 2, .tcp_flags = all[k]),
				 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
				      .hits_id = 1));
		}

		rst.l4_proto = PG_IPPROTO_TCP;
		rst.tcp_flags_mask = rst.tcp_flags_value = XW_TCP_RST;
		xwt_deny_add(env, f->other, &rst);
		run_case("rst rule, RST-ACK",
			 PKT(f, f->other, 6, 1, 2,
			     .tcp_flags = PG_TCP_RST | PG_TCP_ACK),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 2,
			      .hits_id = 2));
		run_case("rst rule, SYN",
			 PKT(f, f->other, 6, 1, 2),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));

		/* "ack": ACK set, SYN RST FIN clear; PSH is not asked about. */
		xwt_rules_clear(env);
		ack.l4_proto = PG_IPPROTO_TCP;
		ack.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK | XW_TCP_RST |
				     XW_TCP_FIN;
		ack.tcp_flags_value = XW_TCP_ACK;
		xwt_deny_add(env, f->net24, &ack);
		run_case("ack rule, ACK",
			 PKT(f, f->src, 6, 1, 2, .tcp_flags = PG_TCP_ACK),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 4,
			      .hits_id = 4));
		run_case("ack rule, PSH-ACK",
			 PKT(f, f->src, 6, 1, 2,
			     .tcp_flags = PG_TCP_PSH | PG_TCP_ACK),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 4,
			      .hits_id = 4));
		run_case("ack rule, SYN-ACK",
			 PKT(f, f->src, 6, 1, 2,
			     .tcp_flags = PG_TCP_SYN | PG_TCP_ACK),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		run_case("ack rule, FIN-ACK",
			 PKT(f, f->src, 6, 1, 2,
			     .tcp_flags = PG_TCP_FIN | PG_TCP_ACK),
			 WANT(XDP_PASS, XW_ACT_PASS,
			      .event = XW_EV_RULE_L4_MISS));
		xwt_rules_clear(env);
	}
}

/* Cutting the L4 header must not get a packet past a source rule. */
static void test_truncated_l4(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule any = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule qual = rule(2, XW_RULE_DROP, xwt_live());
		uint16_t l3_end = 14 + (f->ver == 6 ? 40 : 20);

		qual.l4_proto = PG_IPPROTO_TCP;
		qual.dport = 80;
		xwt_deny_add(env, f->host, &any);
		xwt_deny_add(env, f->other, &qual);

		run_case("unqualified rule, tcp cut to 10 bytes",
			 PKT(f, f->src, 6, 1, 80, .cut = l3_end + 10),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .event = XW_EV_TCP_TRUNC, .hits_id = 1));
		run_case("unqualified rule, udp cut to 3 bytes",
			 PKT(f, f->src, 17, 1, 80, .cut = l3_end + 3),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .event = XW_EV_UDP_TRUNC, .hits_id = 1));
		run_case("unqualified rule, no L4 byte at all",
			 PKT(f, f->src, 6, 1, 80, .cut = l3_end),
			 WANT(XDP_DROP, XW_ACT_DROP, .rule_id = 1,
			      .event = XW_EV_TCP_TRUNC, .hits_id = 1));
		/* The qualifier cannot be checked: the rule cannot match. */
		run_case("tcp dport 80 rule, tcp cut to 10 bytes",
			 PKT(f, f->other, 6, 1, 80, .cut = l3_end + 10),
			 WANT(XDP_PASS, XW_ACT_PASS, .event = XW_EV_TCP_TRUNC,
			      .event2 = XW_EV_RULE_L4_MISS));
	}
}

/* A bad TCP data offset is an L4 error too: the source rule holds. */
static void test_bad_doff_still_dropped(void **state)
{
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		struct xw_rule any = rule(1, XW_RULE_DROP, xwt_live());
		size_t l4 = 14 + (f->ver == 6 ? 40 : 20);
		struct xwt_result res;
		struct pktgen b;
		size_t len;

		xwt_deny_add(env, f->host, &any);
		len = build(&b, PKT(f, f->src, 6, 1, 2));
		b.buf[l4 + 12] = 2 << 4;
		xwt_run(env, b.buf, len, 1, &res);
		assert_int_equal(res.err, 0);
		assert_int_equal(res.retval, XDP_DROP);
		assert_int_equal(res.events[XW_EV_TCP_BAD_DOFF], 1);
		assert_int_equal(res.nrec, 1);
		assert_int_equal(res.recs[0].action, XW_ACT_DROP);
		assert_int_equal(res.recs[0].flags, XW_REC_PARSE_ERROR);
		xwt_rules_clear(env);
	}
}

/* Tunnel fixtures: outer S4/S6, inner IS4/IS6. */
static size_t vxlan_v4(struct pktgen *b)
{
	pktgen__init(b);
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 49152, XW_VXLAN_PORT);
	pktgen__vxlan(b, 1);
	pktgen__eth(b);
	inner_ipv4(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static size_t gre6_v6(struct pktgen *b)
{
	pktgen__init(b);
	eth_ipv6(b, S6, D6);
	pktgen__gre(b, PG_GRE_KEY);
	inner_ipv6(b);
	pktgen__udp(b, 1, 2);
	return pktgen__finish(b);
}

static void tunnel_case(const char *desc, size_t (*fn)(struct pktgen *),
			uint32_t xdp, uint8_t act, uint32_t rule_id)
{
	struct xwt_result res;
	struct pktgen b;
	size_t len = fn(&b);

	xwt_run(env, b.buf, len, 1, &res);
	if (res.err || res.nrec != 1)
		fail_msg("%s: err %d, %u records", desc, res.err, res.nrec);
	if (res.retval != xdp || res.recs[0].action != act ||
	    res.recs[0].rule_id != rule_id ||
	    res.recs[0].tunnel == XW_TUN_NONE)
		fail_msg("%s: verdict %u action %u rule %u tunnel %u, want "
			 "%u %u %u and a tunnel",
			 desc, res.retval, res.recs[0].action,
			 res.recs[0].rule_id, res.recs[0].tunnel, xdp, act,
			 rule_id);
	assert_int_equal(res.events[XW_EV_TUNNEL_DECAP], 1);
	assert_int_equal(res.traffic[xwt_slot_of(&res.recs[0])].packets, 1);
}

static void test_tunnel_inner_source(void **state)
{
	static const struct {
		size_t (*fn)(struct pktgen *);
		const char *outer, *inner;
	} t[] = {
		{ vxlan_v4, S4 "/32", IS4 "/32" },
		{ gre6_v6, S6 "/128", IS6 "/128" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct xw_rule r1 = rule(1, XW_RULE_DROP, xwt_live());
		struct xw_rule r2 = rule(2, XW_RULE_MONITOR, xwt_live());

		xwt_deny_add(env, t[i].outer, &r1);
		tunnel_case("drop rule on the outer source only", t[i].fn,
			    XDP_PASS, XW_ACT_PASS, 0);
		xwt_deny_add(env, t[i].inner, &r2);
		tunnel_case("monitor rule on the inner source wins", t[i].fn,
			    XDP_PASS, XW_ACT_MONITOR, 2);
		r2.action = XW_RULE_DROP;
		xwt_deny_add(env, t[i].inner, &r2);
		tunnel_case("drop rule on the inner source", t[i].fn,
			    XDP_DROP, XW_ACT_DROP, 2);
		xwt_rules_clear(env);
	}
}

/* Non-IP frames never reach the rules, whatever they hold. */
static void test_non_ip_ignores_rules(void **state)
{
	struct xw_rule r = rule(1, XW_RULE_DROP, xwt_live());
	struct xwt_result res;
	struct pktgen b;
	size_t len;

	xwt_deny_add(env, "0.0.0.0/0", &r);
	xwt_deny_add(env, "::/0", &r);
	pktgen__init(&b);
	pktgen__eth(&b);
	pktgen__arp(&b);
	len = pktgen__finish(&b);
	xwt_run(env, b.buf, len, 1, &res);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.retval, XDP_PASS);
	assert_int_equal(res.traffic[XW_TRAFFIC_IDX(XW_IPVER_NONE, XW_L4_OTHER,
						    XW_ACT_PASS)]
				 .packets,
			 1);
	/* ... while the same /0 rule does drop IP. */
	len = build(&b, &(struct pkt_spec){ .src = S4, .dst = D4, .proto = 17,
					    .sport = 1, .dport = 2 });
	xwt_run(env, b.buf, len, 1, &res);
	assert_int_equal(res.retval, XDP_DROP);
}

static int test_setup(void **state)
{
	xwt_rules_clear(env);
	return 0;
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

#define T(fn) cmocka_unit_test_setup(fn, test_setup)

int xwt_group_rules(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_rule),
		T(test_live_drop),
		T(test_drop_repeat_counts),
		T(test_expired),
		T(test_monitor),
		T(test_allowlist),
		T(test_allowlist_without_rule),
		T(test_longest_prefix),
		T(test_l4_qualified),
		T(test_fallback_to_shorter_prefix),
		T(test_dst_rules),
		T(test_rate_limit),
		T(test_tcp_flags_syn),
		T(test_tcp_flags_dst_rule),
		T(test_tcp_flags_rate_limit),
		T(test_tcp_flags_mask_zero_and_words),
		T(test_truncated_l4),
		T(test_bad_doff_still_dropped),
		T(test_tunnel_inner_source),
		T(test_non_ip_ignores_rules),
	};

	return cmocka_run_group_tests_name("rules", tests, group_setup,
					   group_teardown);
}
