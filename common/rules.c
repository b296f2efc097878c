// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* rules.c - see rules.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "errbuf.h"
#include "rules.h"

/* Either LPM key, laid out as the kernel expects for its family. */
union lpm_key {
	struct xw_lpm_v4 v4;
	struct xw_lpm_v6 v6;
};

uint64_t xw_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void key_from_prefix(const struct xw_prefix *p, union lpm_key *k)
{
	memset(k, 0, sizeof(*k));
	if (p->family == AF_INET) {
		k->v4.prefixlen = p->len;
		memcpy(k->v4.addr, p->addr, 4);
	} else {
		k->v6.prefixlen = p->len;
		memcpy(k->v6.addr, p->addr, 16);
	}
}

static void prefix_from_key(int family, const union lpm_key *k,
			    struct xw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	if (family == AF_INET) {
		p->len = (uint8_t)k->v4.prefixlen;
		memcpy(p->addr, k->v4.addr, 4);
	} else {
		p->len = (uint8_t)k->v6.prefixlen;
		memcpy(p->addr, k->v6.addr, 16);
	}
}

/*
 * bpf_map_lookup_elem() on an LPM trie is a longest-prefix match: for a
 * key that is not in the trie it returns the longest prefix that covers
 * it. Every lookup below means "the entry stored under exactly this key",
 * so the value's own prefixlen (which repeats its key's) must agree.
 * Without this check a /32 inside a ruled /24 read as "taken" (-EEXIST),
 * and a destination set was copied from a covering destination.
 */
static int rule_lookup_exact(int fd, const union lpm_key *key, uint32_t len,
			     struct xw_rule *r)
{
	if (bpf_map_lookup_elem(fd, key, r))
		return -ENOENT;
	return r->prefixlen == len ? 0 : -ENOENT;
}

static int dst_set_lookup_exact(int fd, const union lpm_key *key,
				uint32_t len, struct xw_dst_rules *set)
{
	if (bpf_map_lookup_elem(fd, key, set))
		return -ENOENT;
	for (int i = 0; i < XW_DST_RULES; i++)
		if (set->r[i].rule.rule_id)
			return set->r[i].rule.prefixlen == len ? 0 : -ENOENT;
	return 0; /* an empty set: nothing to mistake */
}

/*
 * Walk the keys of one map: an LPM trie, or a host-rule hash, whose keys
 * have the LPM layout too. cb gets each key; stops at its first non-zero
 * return.
 */
static int lpm_walk(int fd, int family,
		    int (*cb)(int fd, int family, const union lpm_key *k,
			      void *ctx),
		    void *ctx)
{
	union lpm_key cur, next;
	void *prev = NULL;
	int err;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		err = cb(fd, family, &next, ctx);
		if (err)
			return err;
		cur = next;
		prev = &cur;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * The deny maps that may hold the rule for p; rules are written to the
 * first. A one-address rule lives in the exact-match map (the program looks
 * there before the trie); the trie comes second for one because maps
 * pinned before the exact-match map existed may still hold it there, and
 * the program still honours it. Returns how many fds were set.
 */
static int deny_fds(const struct xw_maps *m, const struct xw_prefix *p,
		    int fds[2])
{
	bool v4 = p->family == AF_INET;
	int trie = v4 ? m->deny_v4 : m->deny_v6;

	if (p->len != (v4 ? 32 : 128)) {
		fds[0] = trie;
		return 1;
	}
	fds[0] = v4 ? m->deny_host_v4 : m->deny_host_v6;
	fds[1] = trie;
	return 2;
}

/* lpm_walk() over every deny map of both families. */
static int deny_walk(const struct xw_maps *m,
		     int (*cb)(int fd, int family, const union lpm_key *k,
			       void *ctx),
		     void *ctx)
{
	const struct {
		int fd, family;
	} maps[] = {
		{ m->deny_host_v4, AF_INET },
		{ m->deny_v4, AF_INET },
		{ m->deny_host_v6, AF_INET6 },
		{ m->deny_v6, AF_INET6 },
	};
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(maps) / sizeof(maps[0]); i++)
		err = lpm_walk(maps[i].fd, maps[i].family, cb, ctx);
	return err;
}

/* Tell the program to look in the family's host map; set, never cleared. */
static int deny_host_on(const struct xw_maps *m, int family)
{
	uint32_t idx = family == AF_INET ? XW_IPVER_4 : XW_IPVER_6, one = 1;

	return bpf_map_update_elem(m->deny_host_on, &idx, &one, BPF_ANY) ?
		       -errno :
		       0;
}

struct allow_hit {
	const struct xw_prefix *rule;
	struct xw_prefix allow;
	bool found;
};

static int allow_covers_cb(const struct xw_prefix *p, void *ctx)
{
	struct allow_hit *h = ctx;

	if (xw_prefix_contains(p, h->rule)) {
		h->allow = *p;
		h->found = true;
		return 1;
	}
	return 0;
}

int xw_rule_spec_validate(const struct xw_rule_spec *spec,
			  const struct xw_rule_limits *limits, char *err,
			  size_t errlen)
{
	uint64_t max_ttl = limits && limits->max_ttl_s ? limits->max_ttl_s :
							 XW_RULE_MAX_TTL_DEFAULT;

	if (spec->src.family != AF_INET && spec->src.family != AF_INET6)
		return xw_err(err, errlen, -EINVAL, "no source prefix");
	if (xw_prefix_is_all(&spec->src) && !spec->l4_proto)
		return xw_err(err, errlen, -EPERM,
			   "a rule on %s without a protocol would drop everything",
			   spec->src.family == AF_INET ? "0.0.0.0/0" : "::/0");
	if (spec->ttl_s == 0)
		return xw_err(err, errlen, -EINVAL,
			   "a rule needs a TTL: the kernel expires every rule");
	if (spec->ttl_s > max_ttl)
		return xw_err(err, errlen, -ERANGE,
			   "TTL %llus is over the maximum of %llus",
			   (unsigned long long)spec->ttl_s,
			   (unsigned long long)max_ttl);
	if (spec->action != XW_RULE_DROP && spec->action != XW_RULE_MONITOR)
		return xw_err(err, errlen, -EINVAL, "unknown rule action %u",
			   spec->action);
	if ((spec->sport || spec->dport) && spec->l4_proto != 6 &&
	    spec->l4_proto != 17)
		return xw_err(err, errlen, -EINVAL,
			   "ports need the protocol tcp or udp");
	if ((spec->tcp_flags_mask || spec->tcp_flags_value) &&
	    spec->l4_proto != 6)
		return xw_err(err, errlen, -EINVAL,
			   "TCP flags need the protocol tcp");
	if (spec->tcp_flags_value & ~spec->tcp_flags_mask)
		return xw_err(err, errlen, -EINVAL,
			   "TCP flag value 0x%02x names flags outside its mask 0x%02x",
			   spec->tcp_flags_value, spec->tcp_flags_mask);
	return 0;
}

struct id_scan {
	uint8_t *used; /* bitmap over rule ids */
	uint32_t count;
};

static int id_scan_cb(int fd, int family, const union lpm_key *k, void *ctx)
{
	struct id_scan *s = ctx;
	struct xw_rule r;

	if (bpf_map_lookup_elem(fd, k, &r))
		return 0; /* deleted under us */
	if (r.rule_id < XW_MAX_RULES)
		s->used[r.rule_id / 8] |= 1 << (r.rule_id % 8);
	s->count++;
	return 0;
}

static int zero_rule_stats(const struct xw_maps *m, uint32_t id)
{
	int n = xw_ncpus();
	struct xw_counter *zero;
	int err = 0;

	if (n <= 0)
		return -EINVAL;
	zero = calloc(n, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->rule_stats, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/*
 * A rate-limit rule starts with a full bucket: one second's worth. A rule
 * rewritten with its id and rate unchanged (a verdict's renewal) keeps
 * the bucket it has: refilling it would let a second's worth of the flood
 * through at every renewal.
 */
static bool rate_unchanged(const struct xw_rule *old, const struct xw_rule *rule)
{
	return old->rule_id == rule->rule_id && old->action == rule->action &&
	       old->rate_pps == rule->rate_pps;
}

static int rate_reset(const struct xw_maps *m, const struct xw_rule *rule)
{
	struct xw_rate_state st = {
		.tokens = (uint64_t)rule->rate_pps * 1000000000ULL,
		.last_ns = xw_boottime_ns(),
	};
	uint32_t id = rule->rule_id;

	if (rule->action != XW_RULE_RATE_LIMIT)
		return 0;
	return bpf_map_update_elem(m->rate, &id, &st, BPF_ANY) ? -errno : 0;
}

/* Refuse a rule that the allowlist would always override. */
static int allow_check(const struct xw_maps *m, const struct xw_prefix *src,
		       char *err, size_t errlen)
{
	struct allow_hit allow = { .rule = src };
	char buf[XW_PREFIX_STRLEN], abuf[XW_PREFIX_STRLEN];
	int ret = xw_allow__foreach(m, allow_covers_cb, &allow);

	if (ret < 0)
		return xw_err(err, errlen, ret, "cannot read the allowlist: %s",
			      strerror(-ret));
	if (allow.found)
		return xw_err(err, errlen, -EPERM,
			      "%s lies inside allowlisted %s and would never act",
			      xw_prefix_format(src, buf, sizeof(buf)),
			      xw_prefix_format(&allow.allow, abuf, sizeof(abuf)));
	return 0;
}

/* The lowest local rule id no rule uses; counts rules into *count. */
static int local_id_alloc(const struct xw_maps *m, uint32_t *id,
			  uint32_t *count)
{
	struct id_scan scan = { 0 };
	int ret;

	scan.used = calloc(XW_MAX_RULES / 8, 1);
	if (!scan.used)
		return -ENOMEM;
	ret = deny_walk(m, id_scan_cb, &scan);
	*id = 0;
	for (uint32_t i = 1; !ret && i < XW_RULE_ID_VERDICT_BASE; i++) {
		if (!(scan.used[i / 8] & (1 << (i % 8)))) {
			*id = i;
			break;
		}
	}
	free(scan.used);
	*count = scan.count;
	return ret;
}

/*
 * Write rule under src's key, in the host map or the trie. A rule of
 * another id already there is replaced only when replace_other says so;
 * a new id starts with zeroed hit counters.
 */
static int rule_write(const struct xw_maps *m, const struct xw_prefix *src,
		      struct xw_rule *rule, bool replace_other, char *err,
		      size_t errlen)
{
	char buf[XW_PREFIX_STRLEN];
	struct xw_rule old;
	union lpm_key key;
	int fds[2], nfds, old_at = -1, ret;

	nfds = deny_fds(m, src, fds);
	key_from_prefix(src, &key);
	for (int i = 0; i < nfds && old_at < 0; i++)
		if (rule_lookup_exact(fds[i], &key, src->len, &old) == 0)
			old_at = i;
	if (old_at >= 0 && old.rule_id != rule->rule_id && !replace_other)
		return xw_err(err, errlen, -EEXIST,
			      "%s already holds rule %u (%s)",
			      xw_prefix_format(src, buf, sizeof(buf)), old.rule_id,
			      old.origin == XW_ORIGIN_VERDICT ? "from a verdict" :
								"local");
	if (old_at < 0 || old.rule_id != rule->rule_id) {
		ret = zero_rule_stats(m, rule->rule_id);
		if (ret)
			return xw_err(err, errlen, ret,
				      "cannot reset rule stats: %s", strerror(-ret));
	}
	rule->prefixlen = src->len;
	ret = old_at >= 0 && rate_unchanged(&old, rule) ? 0 : rate_reset(m, rule);
	if (ret)
		return xw_err(err, errlen, ret, "cannot set the rate limit: %s",
			      strerror(-ret));
	/* The program must know to look before the rule is there. */
	if (nfds == 2) {
		ret = deny_host_on(m, src->family);
		if (ret)
			return xw_err(err, errlen, ret,
				      "cannot enable host rules: %s",
				      strerror(-ret));
	}
	if (bpf_map_update_elem(fds[0], &key, rule, BPF_ANY)) {
		ret = -errno;
		return xw_err(err, errlen, ret, "cannot write rule: %s",
			      ret == -ENOSPC ? "deny map full" : strerror(-ret));
	}
	/* Replaced a host rule an older version left in the trie: the new one
	 * in the host map is found first; drop the old so it is listed once. */
	if (old_at > 0)
		bpf_map_delete_elem(fds[old_at], &key);
	return 0;
}

int xw_rules__add(const struct xw_maps *m, const struct xw_rule_spec *spec,
		  const struct xw_rule_limits *limits, uint32_t *rule_id,
		  char *err, size_t errlen)
{
	struct xw_rule rule = { 0 };
	uint32_t count = 0;
	int ret;

	ret = xw_rule_spec_validate(spec, limits, err, errlen);
	if (!ret)
		ret = allow_check(m, &spec->src, err, errlen);
	if (ret)
		return ret;
	if (xw_rules__get(m, &spec->src, &rule) == 0) {
		if (rule.origin != XW_ORIGIN_LOCAL)
			return xw_err(err, errlen, -EPERM,
				      "the rule on this prefix comes from verdict rule id %u: withdraw it on the verdict topic",
				      rule.rule_id);
		/* a replacement keeps id and counters */
	} else {
		ret = local_id_alloc(m, &rule.rule_id, &count);
		if (ret)
			return xw_err(err, errlen, ret, "cannot read rules: %s",
				      strerror(-ret));
		if (limits && limits->max_rules && count >= limits->max_rules)
			return xw_err(err, errlen, -ENOSPC,
				      "rule budget of %u reached", limits->max_rules);
		if (!rule.rule_id)
			return xw_err(err, errlen, -ENOSPC, "no free rule id");
	}
	rule.expires_ns = xw_boottime_ns() + spec->ttl_s * 1000000000ULL;
	rule.action = spec->action;
	rule.l4_proto = spec->l4_proto;
	rule.sport = spec->sport;
	rule.dport = spec->dport;
	rule.tcp_flags_mask = spec->tcp_flags_mask;
	rule.tcp_flags_value = spec->tcp_flags_value;
	rule.origin = XW_ORIGIN_LOCAL;
	ret = rule_write(m, &spec->src, &rule, false, err, errlen);
	if (!ret && rule_id)
		*rule_id = rule.rule_id;
	return ret;
}

int xw_rules__put(const struct xw_maps *m, const struct xw_prefix *src,
		  struct xw_rule *rule, char *err, size_t errlen)
{
	struct xw_rule old;
	int ret = allow_check(m, src, err, errlen);

	if (ret)
		return ret;
	/* A rule whose TTL has passed holds its prefix for nobody. */
	ret = xw_rules__get(m, src, &old);
	return rule_write(m, src, rule,
			  ret == 0 && old.expires_ns <= xw_boottime_ns(), err,
			  errlen);
}

int xw_rules__get(const struct xw_maps *m, const struct xw_prefix *src,
		  struct xw_rule *rule)
{
	int fds[2], nfds = deny_fds(m, src, fds);
	union lpm_key key;

	key_from_prefix(src, &key);
	for (int i = 0; i < nfds; i++)
		if (rule_lookup_exact(fds[i], &key, src->len, rule) == 0)
			return 0;
	return -ENOENT;
}

int xw_rules__del_id(const struct xw_maps *m, const struct xw_prefix *src,
		     uint32_t rule_id)
{
	struct xw_rule rule;

	if (xw_rules__get(m, src, &rule) || rule.rule_id != rule_id)
		return -ENOENT;
	return xw_rules__del(m, src);
}

static int dst_set_fd(const struct xw_maps *m, int family)
{
	return family == AF_INET ? m->deny_dst_v4 : m->deny_dst_v6;
}

/* The most specific first: longer source prefixes, then L4-qualified,
 * then by ports, then by TCP flags. */
static int dst_rank(const struct xw_dst_rule *e)
{
	if (!e->rule.rule_id)
		return -1;
	return e->src_len * 8 + (e->rule.l4_proto ? 4 : 0) +
	       (e->rule.sport || e->rule.dport ? 2 : 0) +
	       (e->rule.tcp_flags_mask ? 1 : 0);
}

static void dst_set_sort(struct xw_dst_rules *set)
{
	for (int i = 1; i < XW_DST_RULES; i++) {
		struct xw_dst_rule e = set->r[i];
		int j = i - 1;

		while (j >= 0 && dst_rank(&set->r[j]) < dst_rank(&e)) {
			set->r[j + 1] = set->r[j];
			j--;
		}
		set->r[j + 1] = e;
	}
}

int xw_rules__put_dst(const struct xw_maps *m, const struct xw_prefix *dst,
		      const struct xw_prefix *src, struct xw_rule *rule,
		      char *err, size_t errlen)
{
	int fd = dst_set_fd(m, dst->family), slot = -1, ret;
	uint32_t on = 1, idx = dst->family == AF_INET ? XW_IPVER_4 : XW_IPVER_6;
	char buf[XW_PREFIX_STRLEN];
	struct xw_dst_rules set;
	union lpm_key key;

	if (src->len) {
		ret = allow_check(m, src, err, errlen);
		if (ret)
			return ret;
	}
	key_from_prefix(dst, &key);
	if (dst_set_lookup_exact(fd, &key, dst->len, &set))
		memset(&set, 0, sizeof(set));
	for (int i = 0; i < XW_DST_RULES && slot < 0; i++)
		if (set.r[i].rule.rule_id == rule->rule_id)
			slot = i;
	if (slot < 0) {
		uint64_t now = xw_boottime_ns();

		/* A free entry, or one whose TTL has passed. */
		for (int i = 0; i < XW_DST_RULES && slot < 0; i++)
			if (!set.r[i].rule.rule_id || set.r[i].rule.expires_ns <= now)
				slot = i;
		if (slot < 0)
			return xw_err(err, errlen, -ENOSPC,
				      "%d rules already share destination %s",
				      XW_DST_RULES,
				      xw_prefix_format(dst, buf, sizeof(buf)));
		ret = zero_rule_stats(m, rule->rule_id);
		if (ret)
			return xw_err(err, errlen, ret,
				      "cannot reset rule stats: %s", strerror(-ret));
	}
	rule->prefixlen = dst->len;
	ret = set.r[slot].rule.rule_id && rate_unchanged(&set.r[slot].rule, rule) ?
		      0 : rate_reset(m, rule);
	if (ret)
		return xw_err(err, errlen, ret, "cannot set the rate limit: %s",
			      strerror(-ret));
	memset(&set.r[slot], 0, sizeof(set.r[slot]));
	set.r[slot].rule = *rule;
	memcpy(set.r[slot].src, src->addr, sizeof(set.r[slot].src));
	set.r[slot].src_len = src->len;
	dst_set_sort(&set);
	/* The program must know to look before the rule is there. */
	if (bpf_map_update_elem(m->deny_dst_on, &idx, &on, BPF_ANY) ||
	    bpf_map_update_elem(fd, &key, &set, BPF_ANY)) {
		ret = -errno;
		return xw_err(err, errlen, ret, "cannot write rule: %s",
			      ret == -ENOSPC ? "destination map full" :
					       strerror(-ret));
	}
	return 0;
}

int xw_rules__get_dst(const struct xw_maps *m, const struct xw_prefix *dst,
		      uint32_t rule_id, struct xw_rule *rule)
{
	struct xw_dst_rules set;
	union lpm_key key;

	key_from_prefix(dst, &key);
	if (dst_set_lookup_exact(dst_set_fd(m, dst->family), &key, dst->len, &set))
		return -ENOENT;
	for (int i = 0; i < XW_DST_RULES; i++) {
		if (set.r[i].rule.rule_id == rule_id) {
			*rule = set.r[i].rule;
			return 0;
		}
	}
	return -ENOENT;
}

int xw_rules__del_dst_id(const struct xw_maps *m, const struct xw_prefix *dst,
			 uint32_t rule_id)
{
	int fd = dst_set_fd(m, dst->family), left = 0, found = 0;
	struct xw_dst_rules set;
	union lpm_key key;

	key_from_prefix(dst, &key);
	if (dst_set_lookup_exact(fd, &key, dst->len, &set))
		return -ENOENT;
	for (int i = 0; i < XW_DST_RULES; i++) {
		if (set.r[i].rule.rule_id == rule_id) {
			memset(&set.r[i], 0, sizeof(set.r[i]));
			found = 1;
		}
		left += !!set.r[i].rule.rule_id;
	}
	if (!found)
		return -ENOENT;
	dst_set_sort(&set);
	if (!left)
		return bpf_map_delete_elem(fd, &key) ? -errno : 0;
	return bpf_map_update_elem(fd, &key, &set, BPF_ANY) ? -errno : 0;
}

int xw_rules__del(const struct xw_maps *m, const struct xw_prefix *src)
{
	int fds[2], nfds = deny_fds(m, src, fds), ret = -ENOENT;
	union lpm_key key;

	key_from_prefix(src, &key);
	for (int i = 0; i < nfds; i++) {
		if (bpf_map_delete_elem(fds[i], &key) == 0)
			ret = 0;
		else if (errno != ENOENT && ret == -ENOENT)
			ret = -errno;
	}
	return ret;
}

struct rule_walk {
	const struct xw_maps *m;
	xw_rule_cb cb;
	void *ctx;
	uint64_t now;
};

static int rule_walk_cb(int fd, int family, const union lpm_key *k, void *ctx)
{
	struct rule_walk *w = ctx;
	struct xw_rule_view v = { 0 };

	if (bpf_map_lookup_elem(fd, k, &v.rule))
		return 0;
	prefix_from_key(family, k, &v.src);
	xw_percpu_counter_sum(w->m->rule_stats, v.rule.rule_id, &v.hits);
	v.ttl_left_s = ((int64_t)v.rule.expires_ns - (int64_t)w->now) /
		       1000000000LL;
	if (v.rule.expires_ns < w->now && v.ttl_left_s == 0)
		v.ttl_left_s = -1;
	return w->cb(&v, w->ctx);
}

static int dst_walk_cb(int fd, int family, const union lpm_key *k, void *ctx)
{
	struct rule_walk *w = ctx;
	struct xw_dst_rules set;
	struct xw_prefix dst;
	int ret;

	if (bpf_map_lookup_elem(fd, k, &set))
		return 0;
	prefix_from_key(family, k, &dst);
	for (int i = 0; i < XW_DST_RULES; i++) {
		struct xw_rule_view v = { 0 };

		if (!set.r[i].rule.rule_id)
			continue;
		v.rule = set.r[i].rule;
		v.dst = dst;
		v.src.family = family;
		v.src.len = set.r[i].src_len;
		memcpy(v.src.addr, set.r[i].src, sizeof(v.src.addr));
		xw_percpu_counter_sum(w->m->rule_stats, v.rule.rule_id, &v.hits);
		v.ttl_left_s = ((int64_t)v.rule.expires_ns - (int64_t)w->now) /
			       1000000000LL;
		if (v.rule.expires_ns < w->now && v.ttl_left_s == 0)
			v.ttl_left_s = -1;
		ret = w->cb(&v, w->ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int xw_rules__foreach(const struct xw_maps *m, xw_rule_cb cb, void *ctx)
{
	struct rule_walk w = { .m = m, .cb = cb, .ctx = ctx,
			       .now = xw_boottime_ns() };
	int err = deny_walk(m, rule_walk_cb, &w);

	if (!err)
		err = lpm_walk(m->deny_dst_v4, AF_INET, dst_walk_cb, &w);
	if (!err)
		err = lpm_walk(m->deny_dst_v6, AF_INET6, dst_walk_cb, &w);
	return err;
}

struct expired {
	struct xw_rule_view *v;
	size_t n, cap;
	int64_t grace_s;
};

static int expired_collect(const struct xw_rule_view *v, void *ctx)
{
	struct expired *e = ctx;

	if (v->ttl_left_s >= 0 || -v->ttl_left_s <= e->grace_s)
		return 0;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct xw_rule_view *nv = realloc(e->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		e->v = nv;
		e->cap = cap;
	}
	e->v[e->n++] = *v;
	return 0;
}

int xw_rules__expire(const struct xw_maps *m, uint64_t grace_s, xw_rule_cb cb,
		     void *ctx)
{
	struct expired e = { .grace_s = (int64_t)grace_s };
	int removed = 0, err;

	/* Collect first: deleting under bpf_map_get_next_key restarts walks. */
	err = xw_rules__foreach(m, expired_collect, &e);
	for (size_t i = 0; !err && i < e.n; i++) {
		int fds[2], nfds = deny_fds(m, &e.v[i].src, fds);
		struct xw_rule now;
		union lpm_key key;
		bool gone = false;

		if (e.v[i].dst.family) {
			gone = !xw_rules__get_dst(m, &e.v[i].dst, e.v[i].rule.rule_id,
						  &now) &&
			       now.expires_ns == e.v[i].rule.expires_ns &&
			       !xw_rules__del_dst_id(m, &e.v[i].dst,
						     e.v[i].rule.rule_id);
			nfds = 0; /* not under a source key */
		}

		/* A rule renewed since the walk keeps its prefix: leave it. The
		 * window between this check and the delete is the CLI racing
		 * the collector on one prefix within microseconds. */
		key_from_prefix(&e.v[i].src, &key);
		for (int f = 0; f < nfds && !gone; f++)
			gone = !rule_lookup_exact(fds[f], &key, e.v[i].src.len, &now) &&
			       now.expires_ns == e.v[i].rule.expires_ns &&
			       !bpf_map_delete_elem(fds[f], &key);
		if (!gone)
			continue;
		removed++;
		if (cb)
			cb(&e.v[i], ctx);
	}
	free(e.v);
	return err ? err : removed;
}

int xw_allow__add(const struct xw_maps *m, const struct xw_prefix *p)
{
	int fd = p->family == AF_INET ? m->allow_v4 : m->allow_v6;
	union lpm_key key;
	uint8_t one = 1;

	key_from_prefix(p, &key);
	return bpf_map_update_elem(fd, &key, &one, BPF_ANY) ? -errno : 0;
}

int xw_allow__del(const struct xw_maps *m, const struct xw_prefix *p)
{
	int fd = p->family == AF_INET ? m->allow_v4 : m->allow_v6;
	union lpm_key key;

	key_from_prefix(p, &key);
	return bpf_map_delete_elem(fd, &key) ? -errno : 0;
}

struct allow_walk {
	xw_allow_cb cb;
	void *ctx;
};

static int allow_walk_cb(int fd, int family, const union lpm_key *k, void *ctx)
{
	struct allow_walk *w = ctx;
	struct xw_prefix p;

	prefix_from_key(family, k, &p);
	return w->cb(&p, w->ctx);
}

int xw_allow__foreach(const struct xw_maps *m, xw_allow_cb cb, void *ctx)
{
	struct allow_walk w = { .cb = cb, .ctx = ctx };
	int err = lpm_walk(m->allow_v4, AF_INET, allow_walk_cb, &w);

	if (err)
		return err;
	return lpm_walk(m->allow_v6, AF_INET6, allow_walk_cb, &w);
}
