/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attacks.h - attacks from start to end: hysteresis, verdicts, alerts.
 *
 * A class is an attack on a destination once its rate stays over the
 * threshold for start_slots slots in a row; it ends once the rate has
 * stayed under threshold * end_ratio for end_hold_ms. While it lasts its
 * verdicts are republished every renew_ms (a new version, a fresh TTL),
 * re-planned each time so new heavy sources join; at its end they are
 * withdrawn. A prefix entry (carpet) is an attack only when the traffic
 * is spread: many destinations, none carrying most of it.
 *
 *   xw_attacks__new(&a, opts, ops, ctx)
 *   xw_attacks__eval(a, d, th, now_ns, now_ms)   one heavy destination
 *   xw_attacks__forget(a, d)     its partition moved to another instance:
 *                                drop its attacks without withdrawing, the
 *                                new owner takes them over
 *   xw_attacks__active(a)        attacks now
 *
 * What leaves goes through ops, so the unit tests can watch it.
 */
#ifndef XW_ATTACKS_H
#define XW_ATTACKS_H

#include "alert.h"
#include "classify.h"
#include "dtable.h"
#include "planner.h"
#include "verdict.h"

struct xw_attacks_opts {
	uint32_t start_slots;
	uint32_t end_hold_ms;
	double end_ratio;
	uint32_t update_ms;
	uint32_t renew_ms;
	uint32_t max_live; /* verdict rules live at most: the budget */
	bool target_all; /* else: the hosts that saw the attack */
	uint32_t carpet_min_dsts;
	double carpet_top_share;
	struct xw_learn_opts learn;
	struct xw_plan_opts plan;
	const char *detector; /* our name: issuer of verdicts */
};

struct xw_attacks_ops {
	/* publish a sealed verdict or withdrawal; negative errno on failure */
	int (*verdict)(void *ctx, const struct xw_verdict_msg *m);
	void (*alert)(void *ctx, const struct xw_alert *a);
	/* a host index of xw_dst.hosts, as its host id */
	const char *(*host_name)(void *ctx, uint16_t host);
};

struct xw_attacks_stats {
	uint64_t started, ended, forgotten;
	uint64_t verdicts, withdrawals, publish_failed;
	uint64_t over_budget; /* rules not published: the budget was spent */
	uint32_t active, live_rules;
	uint64_t by_class[XW_ATTACK_COUNT];
};

struct xw_attacks;

int xw_attacks__new(struct xw_attacks **a, const struct xw_attacks_opts *o,
		    const struct xw_attacks_ops *ops, void *ctx);
void xw_attacks__eval(struct xw_attacks *a, struct xw_dst *d,
		      const struct xw_thresholds *th, uint64_t now_ns,
		      uint64_t now_ms);
void xw_attacks__forget(struct xw_attacks *a, struct xw_dst *d);
const struct xw_attacks_stats *xw_attacks__stats(const struct xw_attacks *a);
void xw_attacks__free(struct xw_attacks *a);

#endif /* XW_ATTACKS_H */
