/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * planner.h - the narrowest verdicts that stop an attack.
 *
 *   xw_plan_attack(in, opts, &plan)
 *       in order of preference:
 *       - a few sources carry it (not spoofed): a drop per source, toward
 *         the victim, for the attack's protocol;
 *       - reflection: drop UDP from the service's port to the victim;
 *       - spoofed SYN/ACK/RST/UDP/ICMP floods: rate-limit that protocol
 *         (and the destination port most of it goes to) toward the victim
 *         to the threshold; for TCP only packets with the flood's flags
 *         (SYN without ACK, a bare ACK, RST), so established connections
 *         to the same port are not limited with it;
 *       - carpet bombing: the same, toward the whole prefix;
 *       - spoofed fragments carry no ports to match: no verdict, said so.
 *       Sources inside the allowlist are never named. Rule ids are
 *       derived from what the rule matches, so whoever plans the same
 *       rule (another detector instance after a rebalance) names it the
 *       same and the compacted topic keeps one.
 */
#ifndef XW_PLANNER_H
#define XW_PLANNER_H

#include "dtable.h"
#include "model.h"
#include "textparse.h"
#include "verdict.h"

#define XW_PLAN_MAX 16

struct xw_plan_opts {
	unsigned int max_sources; /* per-source rules per attack at most */
	double hh_share; /* the named sources must carry this share */
	double hh_min_share; /* a source under this share is not named */
	double port_share; /* a port carrying this share is named */
	double rate_factor; /* rate limit = threshold * factor */
	uint32_t ttl_s;
	const struct xw_prefix *allow;
	unsigned int nallow;
};

struct xw_plan_in {
	enum xw_attack_class cls;
	enum xw_attack_class vector; /* cls, or what a carpet bombing spreads */
	struct xw_dkey victim;
	const struct xw_dst_sketch *sketch;
	double threshold; /* packets/s */
	bool spoofed;
};

struct xw_plan_rule {
	char rule_id[XW_RULE_ID_MAX];
	struct xw_prefix src, dst;
	uint8_t l4_proto;
	uint16_t sport, dport;
	uint8_t tcp_flags_mask, tcp_flags_value; /* mask 0: any flags */
	uint8_t action; /* enum xw_verdict_action */
	uint64_t rate_pps;
};

struct xw_plan {
	unsigned int n;
	struct xw_plan_rule r[XW_PLAN_MAX];
	unsigned int allowlisted; /* sources left out */
	char summary[256]; /* for alerts and logs */
};

void xw_plan_attack(const struct xw_plan_in *in, const struct xw_plan_opts *o,
		    struct xw_plan *p);
void xw_dkey_prefix(const struct xw_dkey *k, struct xw_prefix *p);

#endif /* XW_PLANNER_H */
