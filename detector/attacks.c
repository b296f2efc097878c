// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* attacks.c - attack lifecycle, verdicts and alerts. See attacks.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacks.h"
#include "log.h"

#define NS_PER_MS 1000000ULL

struct xw_attack {
	struct xw_alert al; /* what alerts say of it, kept current */
	struct xw_plan live; /* rules published and not withdrawn */
	double threshold; /* at start: the end is judged against it */
	uint64_t renewed_ms, updated_ms;
};

struct xw_attacks {
	struct xw_attacks_opts o;
	struct xw_attacks_ops ops;
	void *ctx;
	struct xw_attacks_stats st;
};

int xw_attacks__new(struct xw_attacks **out, const struct xw_attacks_opts *o,
		    const struct xw_attacks_ops *ops, void *ctx)
{
	struct xw_attacks *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->o = *o;
	a->ops = *ops;
	a->ctx = ctx;
	*out = a;
	return 0;
}

void xw_attacks__free(struct xw_attacks *a)
{
	free(a);
}

const struct xw_attacks_stats *xw_attacks__stats(const struct xw_attacks *a)
{
	return &a->st;
}

static bool is_prefix(const struct xw_dkey *k)
{
	return k->len < (k->family == 6 ? 128 : 32);
}

/* Spread: many destinations, none carrying most of it. */
static bool spread(const struct xw_attacks *a, const struct xw_dst_sketch *s)
{
	struct xw_topk_entry top[1];

	if (s->distinct_dsts < a->o.carpet_min_dsts)
		return false;
	return xw_topk_top(&s->dsts, top, 1) != 1 || s->dsts.total <= 0 ||
	       top[0].count < a->o.carpet_top_share * s->dsts.total;
}

static unsigned int shares(const struct xw_topk *t, struct xw_alert_share *out,
			   bool ports)
{
	struct xw_topk_entry top[XW_ALERT_TOP];
	unsigned int n = xw_topk_top(t, top, XW_ALERT_TOP);

	for (unsigned int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].pps = top[i].count;
		if (ports) {
			out[i].port = (uint16_t)(top[i].key.b[0] << 8 | top[i].key.b[1]);
		} else {
			out[i].len = top[i].key.len;
			memcpy(out[i].addr, top[i].key.b, top[i].key.len);
		}
	}
	return n;
}

/* The alert's estimates from the last second. */
static void observe(struct xw_attack *at, const struct xw_window *w,
		    const struct xw_class_eval *ev, const struct xw_dst_sketch *s)
{
	struct xw_alert *al = &at->al;

	al->pps = ev->rate;
	/* Bytes are kept per destination, not per class: the class's share
	 * of them. */
	al->bps = w->m[XW_M_PKTS] > 0 ?
			  w->m[XW_M_BYTES] * 8 * (ev->rate / w->m[XW_M_PKTS]) : 0;
	if (al->pps > al->peak_pps)
		al->peak_pps = al->pps;
	if (al->bps > al->peak_bps)
		al->peak_bps = al->bps;
	al->distinct_sources = (uint64_t)(s->distinct_srcs + 0.5);
	al->distinct_destinations = (uint64_t)(s->distinct_dsts + 0.5);
	al->nsrcs = shares(&s->srcs, al->srcs, false);
	al->nsports = shares(&s->sports, al->sports, true);
	al->ndports = shares(&s->dports, al->dports, true);
}

static void targets(struct xw_attacks *a, const struct xw_dst *d,
		    struct xw_verdict *v)
{
	v->all_hosts = a->o.target_all || !d->nhosts;
	v->nhosts = 0;
	if (v->all_hosts)
		return;
	for (unsigned int i = 0; i < d->nhosts && i < XW_TARGETS_MAX; i++)
		snprintf(v->hosts[v->nhosts++], XW_TARGET_MAX, "%s",
			 a->ops.host_name(a->ctx, d->hosts[i]));
}

static int publish(struct xw_attacks *a, struct xw_attack *at,
		   const struct xw_dst *d, const struct xw_plan_rule *r,
		   bool withdraw, uint64_t now_ns)
{
	struct xw_verdict_msg *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	m->kind = withdraw ? XW_VERDICT_KIND_WITHDRAW : XW_VERDICT_KIND_VERDICT;
	snprintf(m->rule_id, sizeof(m->rule_id), "%s", r->rule_id);
	/* Time as version: grows across renewals and across instances. */
	m->version = now_ns;
	m->created_unix_ns = now_ns;
	snprintf(m->issuer, sizeof(m->issuer), "%s", a->o.detector);
	/* Cut to fit: the reason is for humans. */
	snprintf(m->reason, sizeof(m->reason), "%s%.80s: %.160s",
		 withdraw ? "ended: " : "", at->al.attack_id, at->al.mitigation);
	if (!withdraw) {
		m->v.src = r->src;
		m->v.dst = r->dst;
		m->v.l4_proto = r->l4_proto;
		m->v.sport = r->sport;
		m->v.dport = r->dport;
		m->v.tcp_flags_mask = r->tcp_flags_mask;
		m->v.tcp_flags_value = r->tcp_flags_value;
		m->v.action = r->action;
		m->v.rate_pps = r->rate_pps;
		m->v.ttl_s = a->o.plan.ttl_s;
		targets(a, d, &m->v);
	}
	ret = a->ops.verdict(a->ctx, m);
	free(m);
	if (ret) {
		a->st.publish_failed++;
		return ret;
	}
	if (withdraw)
		a->st.withdrawals++;
	else
		a->st.verdicts++;
	return 0;
}

static int live_find(const struct xw_plan *p, const char *id)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (!strcmp(p->r[i].rule_id, id))
			return (int)i;
	return -1;
}

/* Publish a plan: renew the rules already live, add new ones while the
 * budget lasts. Rules that left the plan stay until the attack ends:
 * they are renewed too, or their TTL would lapse while it lasts. */
static void apply_plan(struct xw_attacks *a, struct xw_attack *at,
		       const struct xw_dst *d, const struct xw_plan *plan,
		       uint64_t now_ns)
{
	for (unsigned int i = 0; i < plan->n; i++) {
		const struct xw_plan_rule *r = &plan->r[i];
		bool known = live_find(&at->live, r->rule_id) >= 0;

		if (!known && (a->st.live_rules >= a->o.max_live ||
			       at->live.n >= XW_PLAN_MAX)) {
			a->st.over_budget++;
			pr_warn("%s: rule %s not published: %u verdict rules live, the budget is %u",
				at->al.attack_id, r->rule_id, a->st.live_rules,
				a->o.max_live);
			continue;
		}
		if (publish(a, at, d, r, false, now_ns))
			continue;
		if (!known) {
			at->live.r[at->live.n++] = *r;
			a->st.live_rules++;
		}
	}
	for (unsigned int i = 0; i < at->live.n; i++) {
		bool planned = false;

		for (unsigned int j = 0; j < plan->n && !planned; j++)
			planned = !strcmp(plan->r[j].rule_id, at->live.r[i].rule_id);
		if (!planned)
			publish(a, at, d, &at->live.r[i], false, now_ns);
	}
	at->al.nrules = at->live.n;
	for (unsigned int i = 0; i < at->live.n; i++)
		memcpy(at->al.rule_ids[i], at->live.r[i].rule_id, XW_RULE_ID_MAX);
}

static void plan(struct xw_attacks *a, struct xw_attack *at,
		 const struct xw_dst *d, const struct xw_dst_sketch *s,
		 struct xw_plan *p)
{
	struct xw_plan_in in = {
		.cls = at->al.cls,
		.vector = at->al.vector,
		.victim = d->key,
		.sketch = s,
		.threshold = at->threshold,
		.spoofed = at->al.spoofed,
	};

	xw_plan_attack(&in, &a->o.plan, p);
	if (p->allowlisted)
		pr_info("%s: %u allowlisted source(s) left out of the verdicts",
			at->al.attack_id, p->allowlisted);
}

static void start(struct xw_attacks *a, struct xw_dst *d,
		  enum xw_attack_class c, const struct xw_window *w,
		  const struct xw_class_eval *ev,
		  const struct xw_dst_sketch *s, uint64_t now_ns, uint64_t now_ms)
{
	struct xw_attack *at = calloc(1, sizeof(*at));
	struct xw_alert *al;
	struct xw_plan p;
	char victim[XW_PREFIX_STRLEN];
	struct xw_prefix vp;

	if (!at) {
		pr_err("out of memory: attack on a destination not tracked");
		return;
	}
	al = &at->al;
	al->cls = is_prefix(&d->key) ? XW_ATTACK_CARPET_BOMBING : c;
	al->vector = c;
	al->victim = d->key;
	al->l4_proto = xw_class_l4(c);
	xw_dkey_prefix(&d->key, &vp);
	xw_prefix_format(&vp, victim, sizeof(victim));
	if (al->cls == XW_ATTACK_CARPET_BOMBING)
		snprintf(al->attack_id, sizeof(al->attack_id), "%s/%s/%s",
			 xw_class_name(al->cls), xw_class_name(c), victim);
	else
		snprintf(al->attack_id, sizeof(al->attack_id), "%s/%s",
			 xw_class_name(c), victim);
	/* Slots are numbered from the Unix epoch: the first slot over the
	 * threshold is when it began. */
	al->start_ns = (d->heavy->over_since[c] - 1) * XW_SLOT_MS * NS_PER_MS;
	al->detected_ns = now_ns;
	al->threshold_pps = at->threshold = ev->threshold;
	al->spoofed = xw_spoofed(s, &a->o.learn);
	snprintf(al->detector, sizeof(al->detector), "%s", a->o.detector);
	al->nhosts = 0;
	for (unsigned int i = 0; i < d->nhosts; i++)
		snprintf(al->hosts[al->nhosts++], XW_TARGET_MAX, "%s",
			 a->ops.host_name(a->ctx, d->hosts[i]));
	observe(at, w, ev, s);
	plan(a, at, d, s, &p);
	memcpy(al->mitigation, p.summary, sizeof(al->mitigation));
	apply_plan(a, at, d, &p, now_ns);
	at->renewed_ms = at->updated_ms = now_ms;
	d->heavy->attack[c] = at;
	d->heavy->nattacks++;
	a->st.started++;
	a->st.active++;
	a->st.by_class[al->cls]++;
	pr_info("attack %s: %.0f pps over %.0f%s, %s sources; %s",
		al->attack_id, al->pps, al->threshold_pps,
		ev->learned ? " (learned)" : "", al->spoofed ? "spoofed" : "few",
		al->mitigation);
	al->phase = XW_ALERT_START;
	al->time_ns = now_ns;
	a->ops.alert(a->ctx, al);
}

static void drop(struct xw_attacks *a, struct xw_dst *d, enum xw_attack_class c)
{
	struct xw_attack *at = d->heavy->attack[c];

	a->st.live_rules -= at->live.n;
	a->st.active--;
	d->heavy->attack[c] = NULL;
	d->heavy->nattacks--;
	free(at);
}

static void end(struct xw_attacks *a, struct xw_dst *d, enum xw_attack_class c,
		uint64_t now_ns)
{
	struct xw_attack *at = d->heavy->attack[c];

	for (unsigned int i = 0; i < at->live.n; i++)
		publish(a, at, d, &at->live.r[i], true, now_ns);
	at->al.phase = XW_ALERT_END;
	at->al.time_ns = at->al.end_ns = now_ns;
	pr_info("attack %s ended after %.1f s; peak %.0f pps; %u rule(s) withdrawn",
		at->al.attack_id, (now_ns - at->al.start_ns) / 1e9,
		at->al.peak_pps, at->live.n);
	a->ops.alert(a->ctx, &at->al);
	a->st.ended++;
	drop(a, d, c);
}

void xw_attacks__eval(struct xw_attacks *a, struct xw_dst *d,
		      const struct xw_thresholds *th, uint64_t now_ns,
		      uint64_t now_ms)
{
	struct xw_class_eval ev[XW_ATTACK_COUNT];
	struct xw_dst_heavy *h = d->heavy;
	struct xw_dst_sketch s;
	bool sketched = false;
	struct xw_window w;

	if (!h)
		return;
	xw_dst_window(d, &w);
	xw_classify(&w, th, h->base, &a->o.learn, ev);
	for (int c = 1; c < XW_ATTACK_COUNT; c++) {
		struct xw_attack *at = h->attack[c];
		bool over = ev[c].over;

		if (!over && !at) {
			h->over_since[c] = 0;
			continue;
		}
		if (!sketched) {
			xw_dst_sketch(d, &s);
			sketched = true;
		}
		if (over && is_prefix(&d->key))
			over = spread(a, &s);
		if (over) {
			if (!h->over_since[c])
				h->over_since[c] = d->cur_slot + 1;
			if (!at && d->cur_slot + 2 - h->over_since[c] >= a->o.start_slots)
				start(a, d, c, &w, &ev[c], &s, now_ns, now_ms);
		} else {
			h->over_since[c] = 0;
		}
		if (!at)
			continue; /* just started, or not yet */
		/* Hysteresis: it lasts while over a fraction of where it began,
		 * or while still over (a UDP flood by volume can be over with
		 * packets far under the packet threshold). */
		if (over || ev[c].rate > at->threshold * a->o.end_ratio) {
			h->under_since_ms[c] = 0;
		} else if (!h->under_since_ms[c]) {
			h->under_since_ms[c] = now_ms;
		} else if (now_ms - h->under_since_ms[c] >= a->o.end_hold_ms) {
			h->under_since_ms[c] = 0;
			end(a, d, c, now_ns);
			continue;
		}
		observe(at, &w, &ev[c], &s);
		if (now_ms - at->renewed_ms >= a->o.renew_ms) {
			struct xw_plan p;

			/* Re-plan on attack traffic only: a window in a dip
			 * (under threshold, not yet ended) has lost the
			 * attack's ports and sources, and would plan a broader
			 * rule (a rate limit on every port) than the attack
			 * ever needed. The live rules are renewed either way. */
			if (over)
				plan(a, at, d, &s, &p);
			else
				p.n = 0;
			apply_plan(a, at, d, &p, now_ns);
			at->renewed_ms = now_ms;
		}
		if (now_ms - at->updated_ms >= a->o.update_ms) {
			at->al.phase = XW_ALERT_UPDATE;
			at->al.time_ns = now_ns;
			a->ops.alert(a->ctx, &at->al);
			at->updated_ms = now_ms;
		}
	}
	/* The baseline learns normal traffic, never an attack, nor the
	 * slots of one not yet confirmed: one flood slot in the variance
	 * would raise the band over the flood itself. */
	d->learning = !h->nattacks;
	for (int c = 1; c < XW_ATTACK_COUNT && d->learning; c++)
		d->learning = !h->over_since[c];
}

void xw_attacks__forget(struct xw_attacks *a, struct xw_dst *d)
{
	if (!d->heavy)
		return;
	for (int c = 1; c < XW_ATTACK_COUNT; c++) {
		if (!d->heavy->attack[c])
			continue;
		pr_info("attack %s handed over: its verdicts stay until the new owner renews them or their TTL passes",
			d->heavy->attack[c]->al.attack_id);
		a->st.forgotten++;
		drop(a, d, c);
	}
}
