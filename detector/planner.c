// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* planner.c - attacks into verdicts. See planner.h. */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hash.h"
#include "planner.h"
#include "xdpwatch_shared.h" /* XW_TCP_*: the flag bits rules match */

#define RULE_ID_SEED 0x78647077617463ULL /* "xdpwatc" */

void xw_dkey_prefix(const struct xw_dkey *k, struct xw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = k->family == 6 ? AF_INET6 : AF_INET;
	p->len = k->len;
	memcpy(p->addr, k->addr, sizeof(p->addr));
}

static bool allowlisted(const struct xw_plan_opts *o, const struct xw_prefix *src)
{
	for (unsigned int i = 0; i < o->nallow; i++)
		if (xw_prefix_contains(&o->allow[i], src))
			return true;
	return false;
}

/* The id says what the rule is for and is a pure function of its match. */
static void rule_name(struct xw_plan_rule *r, enum xw_attack_class cls)
{
	struct {
		struct xw_prefix src, dst;
		uint8_t l4, action, flags_mask, flags_value;
		uint16_t sport, dport;
	} m;

	memset(&m, 0, sizeof(m));
	m.src = r->src;
	m.dst = r->dst;
	m.l4 = r->l4_proto;
	m.action = r->action;
	m.sport = r->sport;
	m.dport = r->dport;
	m.flags_mask = r->tcp_flags_mask;
	m.flags_value = r->tcp_flags_value;
	snprintf(r->rule_id, sizeof(r->rule_id), "xwd-%s-%016" PRIx64,
		 xw_class_name(cls), xw_hash64(&m, sizeof(m), RULE_ID_SEED));
}

/* The TCP flags a flood of this class carries, as a rule qualifier. */
static void class_flags(enum xw_attack_class c, struct xw_plan_rule *r)
{
	switch (c) {
	case XW_ATTACK_SYN_FLOOD:
		r->tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
		r->tcp_flags_value = XW_TCP_SYN;
		break;
	case XW_ATTACK_TCP_ACK_FLOOD:
		/* A bare ACK: data (PSH) and handshakes stay out of it. */
		r->tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK | XW_TCP_RST |
				    XW_TCP_FIN | XW_TCP_PSH;
		r->tcp_flags_value = XW_TCP_ACK;
		break;
	case XW_ATTACK_TCP_RST_FLOOD:
		r->tcp_flags_mask = XW_TCP_RST;
		r->tcp_flags_value = XW_TCP_RST;
		break;
	default:
		break;
	}
}

static struct xw_plan_rule *add_rule(struct xw_plan *p, const struct xw_plan_in *in)
{
	struct xw_plan_rule *r;

	if (p->n >= XW_PLAN_MAX)
		return NULL;
	r = &p->r[p->n++];
	memset(r, 0, sizeof(*r));
	xw_dkey_prefix(&in->victim, &r->dst);
	r->src.family = r->dst.family; /* length 0: any source */
	r->l4_proto = xw_class_l4(in->vector);
	return r;
}

static bool is_reflection(enum xw_attack_class c)
{
	return c >= XW_ATTACK_DNS_REFLECTION && c <= XW_ATTACK_CHARGEN_REFLECTION;
}

/* Drop the few sources that carry most of it, if a few do. */
static bool plan_sources(const struct xw_plan_in *in, const struct xw_plan_opts *o,
			 struct xw_plan *p)
{
	struct xw_topk_entry top[XW_SKETCH_K];
	unsigned int n = xw_topk_top(&in->sketch->srcs, top, XW_SKETCH_K);
	double total = in->sketch->srcs.total, covered = 0;
	unsigned int first = p->n, named = 0;

	if (in->spoofed || total <= 0)
		return false;
	for (unsigned int i = 0; i < n && named < o->max_sources; i++) {
		struct xw_prefix src = { 0 };
		struct xw_plan_rule *r;

		if (covered >= o->hh_share * total)
			break;
		/* What might be an overcount is not evidence enough. */
		if (top[i].count - top[i].err < o->hh_min_share * total)
			break;
		src.family = top[i].key.len == 16 ? AF_INET6 : AF_INET;
		src.len = top[i].key.len * 8;
		memcpy(src.addr, top[i].key.b, top[i].key.len);
		covered += top[i].count;
		if (allowlisted(o, &src)) {
			p->allowlisted++;
			continue;
		}
		r = add_rule(p, in);
		if (!r)
			break;
		r->src = src;
		r->action = XW_VERDICT_DROP;
		if (is_reflection(in->vector))
			r->sport = xw_refl_services[in->vector - XW_ATTACK_DNS_REFLECTION].port;
		rule_name(r, in->cls);
		named++;
	}
	if (covered >= o->hh_share * total && named)
		return true;
	p->n = first; /* not enough of it: a broader rule instead */
	return false;
}

/* The destination port most of it goes to, or 0. */
static uint16_t main_dport(const struct xw_plan_in *in, const struct xw_plan_opts *o)
{
	struct xw_topk_entry top[1];

	if (xw_topk_top(&in->sketch->dports, top, 1) != 1 ||
	    in->sketch->dports.total <= 0 ||
	    top[0].count - top[0].err < o->port_share * in->sketch->dports.total)
		return 0;
	return (uint16_t)(top[0].key.b[0] << 8 | top[0].key.b[1]);
}

void xw_plan_attack(const struct xw_plan_in *in, const struct xw_plan_opts *o,
		    struct xw_plan *p)
{
	char victim[XW_PREFIX_STRLEN];
	struct xw_prefix vp;
	struct xw_plan_rule *r;

	memset(p, 0, sizeof(*p));
	xw_dkey_prefix(&in->victim, &vp);
	xw_prefix_format(&vp, victim, sizeof(victim));
	if (plan_sources(in, o, p)) {
		snprintf(p->summary, sizeof(p->summary),
			 "drop %u source(s) carrying it toward %s", p->n, victim);
		return;
	}
	if (is_reflection(in->vector)) {
		const struct xw_refl_info *s =
			&xw_refl_services[in->vector - XW_ATTACK_DNS_REFLECTION];

		r = add_rule(p, in);
		r->action = XW_VERDICT_DROP;
		r->sport = s->port;
		rule_name(r, in->cls);
		snprintf(p->summary, sizeof(p->summary),
			 "drop UDP from port %u (%s) toward %s", s->port, s->name,
			 victim);
		return;
	}
	if (in->vector == XW_ATTACK_FRAGMENT_FLOOD) {
		snprintf(p->summary, sizeof(p->summary),
			 "no verdict: fragments from %s sources carry no ports to match; alert only",
			 in->spoofed ? "random" : "too many");
		return;
	}
	r = add_rule(p, in);
	r->action = XW_VERDICT_RATE_LIMIT;
	r->rate_pps = (uint64_t)(in->threshold * o->rate_factor);
	if (!r->rate_pps)
		r->rate_pps = 1;
	if (r->l4_proto == IPPROTO_TCP || r->l4_proto == IPPROTO_UDP)
		r->dport = main_dport(in, o);
	class_flags(in->vector, r);
	rule_name(r, in->cls);
	snprintf(p->summary, sizeof(p->summary),
		 "rate-limit %s%s%.0u toward %s to %" PRIu64 " packets/s",
		 xw_class_name(in->vector), r->dport ? " to port " : "",
		 r->dport, victim, r->rate_pps);
}
