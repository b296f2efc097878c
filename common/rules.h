/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rules.h - deny rules and the allowlist in one interface's pinned maps.
 *
 *   xw_rules__add(m, spec, limits, &id, err, errlen)
 *       a local rule (the CLI): validate, then insert or replace the rule
 *       for spec->src; a new prefix gets the lowest free local rule id and
 *       zeroed hit counters, a replaced one keeps its id and counters; a
 *       rule from a verdict is not replaced
 *   xw_rules__put(m, src, rule, err, errlen)
 *       write a fully formed rule (the collector's verdicts: its own id
 *       and origin); -EEXIST when a live rule of another id holds src,
 *       -EPERM inside the allowlist
 *   xw_rules__put_dst(m, dst, src, rule, err, errlen)
 *       the same for a destination-keyed rule (src may have length 0);
 *       -ENOSPC when XW_DST_RULES rules already share dst
 *   xw_rules__del_dst_id(m, dst, id)  remove rule id from dst's set
 *   xw_rules__get(m, src, &rule)      -ENOENT when there is none
 *   xw_rules__del(m, prefix)          -ENOENT when there is none
 *   xw_rules__del_id(m, prefix, id)   only if the rule there has that id
 *   xw_rules__foreach(m, cb, ctx)     every deny rule with its hits
 *   xw_rules__expire(m, grace_s, cb, ctx)
 *                                     delete rules expired for longer
 *                                     than grace_s (the kernel already
 *                                     ignores them; this frees their
 *                                     slots), cb sees each; returns count
 *   xw_allow__add/del/foreach         the never-drop prefixes
 *   xw_rule_spec_validate(...)        the checks add makes, for callers
 *                                     that validate before they touch maps
 *
 * Expiry is absolute CLOCK_BOOTTIME ns in the map, so the XDP program
 * enforces it without any daemon. A /32 or /128 rule is kept in the
 * family's exact-match map (xw_deny_host_v4/v6, flagged on in
 * xw_deny_host_on before the first), shorter prefixes in the LPM trie;
 * callers see one set of rules either way.
 */
#ifndef XW_RULES_H
#define XW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinned.h"
#include "textparse.h"

struct xw_rule_spec {
	struct xw_prefix src;
	uint64_t ttl_s;
	uint8_t action; /* enum xw_rule_action */
	uint8_t l4_proto; /* 0 any */
	uint16_t sport; /* 0 any, TCP/UDP only */
	uint16_t dport;
	uint8_t tcp_flags_mask; /* 0 any, TCP only; see struct xw_rule */
	uint8_t tcp_flags_value;
};

struct xw_rule_limits {
	uint64_t max_ttl_s;
	uint32_t max_rules; /* per interface, both families together */
};

#define XW_RULE_MAX_TTL_DEFAULT (7 * 86400ULL)

struct xw_rule_view {
	struct xw_prefix src; /* length 0 on a destination rule: any source */
	struct xw_prefix dst; /* family 0: not a destination rule */
	struct xw_rule rule;
	struct xw_counter hits;
	int64_t ttl_left_s; /* negative once expired */
};

typedef int (*xw_rule_cb)(const struct xw_rule_view *v, void *ctx);
typedef int (*xw_allow_cb)(const struct xw_prefix *p, void *ctx);

uint64_t xw_boottime_ns(void);

int xw_rule_spec_validate(const struct xw_rule_spec *spec,
			  const struct xw_rule_limits *limits, char *err,
			  size_t errlen);
int xw_rules__add(const struct xw_maps *m, const struct xw_rule_spec *spec,
		  const struct xw_rule_limits *limits, uint32_t *rule_id,
		  char *err, size_t errlen);
int xw_rules__put(const struct xw_maps *m, const struct xw_prefix *src,
		  struct xw_rule *rule, char *err, size_t errlen);
int xw_rules__get(const struct xw_maps *m, const struct xw_prefix *src,
		  struct xw_rule *rule);
int xw_rules__put_dst(const struct xw_maps *m, const struct xw_prefix *dst,
		      const struct xw_prefix *src, struct xw_rule *rule,
		      char *err, size_t errlen);
int xw_rules__get_dst(const struct xw_maps *m, const struct xw_prefix *dst,
		      uint32_t rule_id, struct xw_rule *rule);
int xw_rules__del_dst_id(const struct xw_maps *m, const struct xw_prefix *dst,
			 uint32_t rule_id);
int xw_rules__del(const struct xw_maps *m, const struct xw_prefix *src);
int xw_rules__del_id(const struct xw_maps *m, const struct xw_prefix *src,
		     uint32_t rule_id);
int xw_rules__foreach(const struct xw_maps *m, xw_rule_cb cb, void *ctx);
int xw_rules__expire(const struct xw_maps *m, uint64_t grace_s, xw_rule_cb cb,
		     void *ctx);

int xw_allow__add(const struct xw_maps *m, const struct xw_prefix *p);
int xw_allow__del(const struct xw_maps *m, const struct xw_prefix *p);
int xw_allow__foreach(const struct xw_maps *m, xw_allow_cb cb, void *ctx);

#endif /* XW_RULES_H */
