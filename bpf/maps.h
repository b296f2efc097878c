/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.h - the XDP program's maps. Every map is pinned by the collector
 * under /sys/fs/bpf/xdpwatch/<ifname>/<map name>, so the names here are
 * also the names of the pin files that the xdpwatch CLI opens.
 */
#ifndef XDPWATCH_MAPS_H
#define XDPWATCH_MAPS_H

#include "xdpwatch_shared.h"

/* Run-time tunables (sampling, wake-up threshold); one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xw_config);
} xw_config SEC(".maps");

/* Packets and bytes by IP version, L4 class and action: every packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_TRAFFIC_SLOTS);
	__type(key, __u32);
	__type(value, struct xw_counter);
} xw_traffic SEC(".maps");

/* Parse errors by reason and ring buffer accounting (enum xw_event). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_EV_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} xw_events SEC(".maps");

/* Sampled feature records; size set by the collector before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} xw_records SEC(".maps");

/*
 * Deny rules on one address (/32, /128), by exact match. Looked up before
 * the tries, which hold the shorter prefixes: a hash lookup costs the same
 * however many rules there are, where a trie miss walks deeper as rules
 * are added, and most rules the detector writes name one source. Keys are
 * the LPM keys with prefixlen 32 or 128, so one key serves both lookups.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XW_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v4);
	__type(value, struct xw_rule);
} xw_deny_host_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XW_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v6);
	__type(value, struct xw_rule);
} xw_deny_host_v6 SEC(".maps");

/*
 * Whether xw_deny_host_v4/v6 may hold a rule, by enum xw_ipver: user space
 * sets the entry to 1 before it first writes a host rule of that family and
 * never clears it (clearing would race a concurrent add). Until then the
 * program skips the exact-match lookup, whose hashing costs about 20 ns a
 * packet on the test VM, on interfaces that have no host rule.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XW_IPVER_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} xw_deny_host_on SEC(".maps");

/* Deny rules by source prefix, shorter than one address. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v4);
	__type(value, struct xw_rule);
} xw_deny_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v6);
	__type(value, struct xw_rule);
} xw_deny_v6 SEC(".maps");

/* Source prefixes never dropped, whatever the deny rules say. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v4);
	__type(value, __u8);
} xw_allow_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v6);
	__type(value, __u8);
} xw_allow_v6 SEC(".maps");

/* Rules by destination prefix (struct xw_dst_rules), and per family a
 * flag set before the first is written, as for host rules: until then the
 * program skips the lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v4);
	__type(value, struct xw_dst_rules);
} xw_deny_dst_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xw_lpm_v6);
	__type(value, struct xw_dst_rules);
} xw_deny_dst_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XW_IPVER_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} xw_deny_dst_on SEC(".maps");

/* Token buckets of rate-limit rules, by rule id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xw_rate_state);
} xw_rate SEC(".maps");

/* Which verdict each rule id >= XW_RULE_ID_VERDICT_BASE holds; user space
 * only (the collector's memory across restarts). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XW_MAX_RULES / 2);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xw_verdict_slot);
} xw_verdict_ids SEC(".maps");

/* Packets and bytes each rule acted on (drop or monitor), by rule id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xw_counter);
} xw_rule_stats SEC(".maps");

#endif /* XDPWATCH_MAPS_H */
