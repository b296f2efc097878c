// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpwatch.bpf.c - the XDP program: parse, match rules, count, sample.
 *
 * Per packet, in this order:
 *   1. parse (parse.h): the inlined fast path, or for IPv6 extension
 *      headers and tunnels the global parser; errors are counted by reason
 *      and never drop
 *   2. deny lookup by source prefix; only on a hit: L4 qualifier, expiry
 *      (enforced here, not by the collector), then the allowlist
 *   3. one per-CPU traffic counter (exact, whatever the sampling)
 *   4. 1-in-N sampling of a feature record into the ring buffer
 * The allowlist is consulted only after a deny hit: its answer matters
 * only then, and the common packet is spared a second trie walk.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpwatch_shared.h"
#include "maps.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void event_count(__u32 ev)
{
	__u64 *n = bpf_map_lookup_elem(&xw_events, &ev);

	if (n)
		*n += 1;
}

static __always_inline bool rule_l4_matches(const struct xw_rule *rule,
					    const struct pkt *p)
{
	if (!rule->l4_proto)
		return true;
	/* A qualified rule needs the L4 header it names. tcp_flags_mask is
	 * set only on TCP rules (user space refuses it elsewhere), and the
	 * parser fills rec.tcp_flags whenever it reads a TCP header, so one
	 * more compare, made only by a rule that asks for it, does. */
	return rule->l4_proto == p->rec.l4_proto &&
	       (p->rec.flags & XW_REC_L4_VALID) &&
	       (!rule->sport || rule->sport == p->rec.sport) &&
	       (!rule->dport || rule->dport == p->rec.dport) &&
	       (!rule->tcp_flags_mask ||
		(p->rec.tcp_flags & rule->tcp_flags_mask) ==
			rule->tcp_flags_value);
}

/*
 * The longest live rule whose L4 qualifier matches: first the exact-match
 * host rule (host: xw_deny_host_v4 or _v6), then the trie of shorter
 * prefixes (deny: xw_deny_v4 or _v6). A rule that does not apply sends the
 * search on to shorter prefixes in the trie, at most XW_RULE_FALLBACKS
 * times; the common packet makes one lookup in each. The v6 key's first
 * eight bytes are laid out as the v4 key, so one key serves all four maps.
 */
static __always_inline struct xw_rule *rule_find(struct pkt *p, void *host,
						 void *deny, __u32 full_len)
{
	struct xw_lpm_v6 key = { .prefixlen = full_len };
	__u32 ipver = p->ipver, *host_on;
	struct xw_rule *rule;
	__u64 now = 0;
	int i;

	/* Hashing the key costs more than this check; skip the lookup on an
	 * interface that has never had a host rule of this family. */
	host_on = bpf_map_lookup_elem(&xw_deny_host_on, &ipver);
	if (!host_on || !*host_on)
		host = NULL;
	__builtin_memcpy(key.addr, p->rec.saddr, 16);
	for (i = 0; i <= XW_RULE_FALLBACKS; i++) {
		/* key.prefixlen is full_len on the first pass only. */
		rule = NULL;
		if (!i && host)
			rule = bpf_map_lookup_elem(host, &key);
		if (!rule)
			rule = bpf_map_lookup_elem(deny, &key);
		if (!rule)
			return NULL;
		if (!rule_l4_matches(rule, p)) {
			event_count(XW_EV_RULE_L4_MISS);
		} else {
			if (!now)
				now = bpf_ktime_get_boot_ns();
			if (now < rule->expires_ns)
				return rule;
			event_count(XW_EV_RULE_EXPIRED_HIT);
		}
		if (!rule->prefixlen || rule->prefixlen > key.prefixlen)
			return NULL;
		key.prefixlen = rule->prefixlen - 1;
	}
	return NULL;
}

/* Does the packet's source lie in the bits of src its rule names? */
static __always_inline bool src_in(const struct pkt *p, const __u8 *src,
				   __u8 len)
{
	int i;

#pragma unroll
	for (i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;
		__u8 mask;

		if (bits <= 0)
			break;
		mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((p->rec.saddr[i] ^ src[i]) & mask)
			return false;
	}
	return true;
}

/*
 * A destination-keyed rule that applies: the longest destination prefix
 * first, its entries in the order user space keeps (most specific first),
 * shorter prefixes after one whose entries all miss.
 */
static __always_inline struct xw_rule *dst_rule_find(struct pkt *p, void *dst,
						     __u32 full_len, __u64 *now)
{
	struct xw_lpm_v6 key = { .prefixlen = full_len };
	__u32 ipver = p->ipver, *on;
	struct xw_dst_rules *set;
	int i, j;

	on = bpf_map_lookup_elem(&xw_deny_dst_on, &ipver);
	if (!on || !*on)
		return NULL;
	__builtin_memcpy(key.addr, p->rec.daddr, 16);
	for (i = 0; i <= XW_RULE_FALLBACKS; i++) {
		__u8 len = 0;

		set = bpf_map_lookup_elem(dst, &key);
		if (!set)
			return NULL;
		for (j = 0; j < XW_DST_RULES; j++) {
			struct xw_dst_rule *e = &set->r[j];

			if (!e->rule.rule_id)
				continue;
			len = e->rule.prefixlen;
			if (!src_in(p, e->src, e->src_len) ||
			    !rule_l4_matches(&e->rule, p))
				continue;
			if (!*now)
				*now = bpf_ktime_get_boot_ns();
			if (*now < e->rule.expires_ns)
				return &e->rule;
			event_count(XW_EV_RULE_EXPIRED_HIT);
		}
		if (!len || len > key.prefixlen)
			return NULL;
		key.prefixlen = len - 1;
	}
	return NULL;
}

/* Take one packet's worth from a rate-limit rule's bucket. */
static __always_inline bool rate_allow(__u32 id, __u32 rate_pps, __u64 now)
{
	const __u64 one = 1000000000ULL; /* one packet, in tokens */
	__u64 cap = (__u64)rate_pps * one, elapsed, tokens;
	struct xw_rate_state *st = bpf_map_lookup_elem(&xw_rate, &id);
	bool ok;

	if (!st)
		return true;
	bpf_spin_lock(&st->lock);
	elapsed = now - st->last_ns;
	/* Past a second the bucket is full anyway; this also keeps the
	 * product below 2^64. */
	tokens = elapsed >= one ? cap : st->tokens + elapsed * rate_pps;
	if (tokens > cap)
		tokens = cap;
	ok = tokens >= one;
	st->tokens = ok ? tokens - one : tokens;
	st->last_ns = now;
	bpf_spin_unlock(&st->lock);
	return ok;
}

/* rules_apply() for one family's deny maps and allowlist trie. */
static __always_inline __u32 rules_apply_fam(struct pkt *p, void *host,
					     void *deny, void *dst, void *allow,
					     __u32 full_len)
{
	struct xw_lpm_v6 key = { .prefixlen = full_len };
	struct xw_counter *hits;
	struct xw_rule *rule;
	__u64 now = 0;
	__u32 id;

	rule = rule_find(p, host, deny, full_len);
	if (!rule)
		rule = dst_rule_find(p, dst, full_len, &now);
	if (!rule)
		return XW_ACT_PASS;
	id = rule->rule_id;
	p->rec.rule_id = id;
	__builtin_memcpy(key.addr, p->rec.saddr, 16);
	if (bpf_map_lookup_elem(allow, &key))
		return XW_ACT_ALLOW;

	hits = bpf_map_lookup_elem(&xw_rule_stats, &id);
	if (hits) {
		hits->packets++;
		hits->bytes += p->rec.pkt_len;
	}
	if (rule->action == XW_RULE_RATE_LIMIT) {
		if (!now)
			now = bpf_ktime_get_boot_ns();
		return rate_allow(id, rule->rate_pps, now) ? XW_ACT_MONITOR :
							     XW_ACT_DROP;
	}
	return rule->action == XW_RULE_MONITOR ? XW_ACT_MONITOR : XW_ACT_DROP;
}

/*
 * Decide the action for an IP packet; rec.rule_id is set when a rule hit.
 * One copy per family, each with constant maps, rather than one copy with
 * the map chosen at run time: the verifier turns a lookup in a constant
 * trie into a direct call of the trie's lookup, where a chosen one goes
 * through the generic helper's indirect call (a ns or two a packet).
 */
static __always_inline __u32 rules_apply(struct pkt *p)
{
	if (p->ipver == XW_IPVER_4)
		return rules_apply_fam(p, &xw_deny_host_v4, &xw_deny_v4,
				       &xw_deny_dst_v4, &xw_allow_v4, 32);
	return rules_apply_fam(p, &xw_deny_host_v6, &xw_deny_v6,
			       &xw_deny_dst_v6, &xw_allow_v6, 128);
}

/* Sampled path only: stamp the parsed record and queue it for the drain. */
static __always_inline void record_emit(struct xdp_md *ctx, struct pkt *p,
					const struct xw_config *cfg)
{
	struct xw_record *rec;
	__u64 avail, flags;

	rec = bpf_ringbuf_reserve(&xw_records, sizeof(*rec), 0);
	if (!rec) {
		event_count(XW_EV_RECORD_LOST_RINGBUF_FULL);
		return;
	}
	p->rec.ts_ns = bpf_ktime_get_boot_ns();
	p->rec.ifindex = ctx->ingress_ifindex;
	p->rec.rx_queue = ctx->rx_queue_index;
	p->rec.sample_rate = cfg->sample_rate;
	__builtin_memcpy(rec, &p->rec, sizeof(*rec));

	/* Wake the drain once, with the record that fills a batch; its poll
	 * timeout collects the rest. Waking per record, or for every record
	 * past the threshold until the drain catches up, costs a self-IPI
	 * each and collapses the rate (measured: ~30% of the producing CPU). */
	avail = bpf_ringbuf_query(&xw_records, BPF_RB_AVAIL_DATA);
	flags = avail >= cfg->wakeup_bytes &&
				avail < (__u64)cfg->wakeup_bytes + XW_RINGBUF_SLOT ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
	event_count(XW_EV_RECORD_SAMPLED);
}

SEC("xdp")
int xdpwatch_main(struct xdp_md *ctx)
{
	__u32 action = XW_ACT_PASS, zero = 0, idx;
	const struct xw_config *cfg;
	struct xw_counter *cnt;
	struct pkt p = {}, inner; /* inner: zeroed by xw_parse when used */
	int err;

	p.rec.pkt_len = ctx->data_end - ctx->data;
	err = xw_parse_fast(ctx, &p);
	if (err == XW_PARSE_SLOW) {
		/* IPv6 extension headers or a tunnel: start again on the
		 * global parser, from the state it expects. */
		__builtin_memset(&p, 0, sizeof(p));
		p.rec.pkt_len = ctx->data_end - ctx->data;
		err = xw_parse(ctx, &p, &inner);
	}
	if (err) {
		event_count(err);
		p.rec.flags |= XW_REC_PARSE_ERROR;
	}
	/* xw_parse() resets the tunnel when it fell back to the outer
	 * headers, so this counts exactly the packets read from inside. */
	if (p.rec.tunnel != XW_TUN_NONE)
		event_count(XW_EV_TUNNEL_DECAP);
	if (p.ipver)
		action = rules_apply(&p);
	p.rec.action = action;

	idx = XW_TRAFFIC_IDX(p.ipver, p.l4_class, action);
	cnt = bpf_map_lookup_elem(&xw_traffic, &idx);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += p.rec.pkt_len;
	}

	cfg = bpf_map_lookup_elem(&xw_config, &zero);
	if (cfg && cfg->sample_rate &&
	    (cfg->sample_rate == 1 ||
	     bpf_get_prandom_u32() < cfg->sample_threshold))
		record_emit(ctx, &p, cfg);

	return action == XW_ACT_DROP ? XDP_DROP : XDP_PASS;
}
