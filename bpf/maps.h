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

/* Deny rules by source prefix. */
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

/* Packets and bytes each rule acted on (drop or monitor), by rule id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xw_counter);
} xw_rule_stats SEC(".maps");

#endif /* XDPWATCH_MAPS_H */
