/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdpwatch_shared.h - the one definition of everything the XDP program and
 * user space exchange: map value and key layouts, the feature record, the
 * counter indices, action and reason codes.
 *
 * Included by bpf/xdpwatch.bpf.c (with vmlinux.h types) and by every user
 * space module that touches the maps. Change a layout here, bump
 * XW_ABI_VERSION: pinned maps of an older layout are then refused at load
 * (libbpf checks key/value sizes when it reuses a pin) instead of being
 * misread.
 *
 * All multi-byte fields are host byte order unless the name ends in _be.
 */
#ifndef XDPWATCH_SHARED_H
#define XDPWATCH_SHARED_H

#ifndef __bpf__
#include <linux/bpf.h> /* struct bpf_spin_lock */
#include <linux/types.h>
#endif

#define XW_ABI_VERSION 3

/* Capacities; overridable at build time like katran's MAX_VIPS. */
#ifndef XW_MAX_RULES
#define XW_MAX_RULES 131072 /* deny rules per family, and rule-id space */
#endif
#ifndef XW_MAX_ALLOW
#define XW_MAX_ALLOW 4096 /* allowlist prefixes per family */
#endif
#ifndef XW_MAX_VLAN_TAGS
#define XW_MAX_VLAN_TAGS 2 /* 802.1Q and 802.1ad (QinQ) */
#endif
#ifndef XW_MAX_IPV6_EXT_HDRS
#define XW_MAX_IPV6_EXT_HDRS 8 /* longer chains are counted and passed */
#endif

/* Well-known UDP ports of the tunnels the parser looks into. */
#define XW_VXLAN_PORT 4789
#define XW_GENEVE_PORT 6081

/* IP version index used in counters and records. */
enum xw_ipver {
	XW_IPVER_NONE = 0, /* not IP (ARP, LLDP, ...) or L3 unparseable */
	XW_IPVER_4 = 1,
	XW_IPVER_6 = 2,
	XW_IPVER_COUNT
};

/* L4 class used in counters (the record keeps the raw protocol number). */
enum xw_l4 {
	XW_L4_OTHER = 0, /* anything else, or a non-first fragment */
	XW_L4_TCP,
	XW_L4_UDP,
	XW_L4_ICMP,
	XW_L4_ICMPV6,
	XW_L4_COUNT
};

/* What the program did with a packet. */
enum xw_action {
	XW_ACT_PASS = 0,    /* no rule matched */
	XW_ACT_DROP,        /* a live deny rule matched: XDP_DROP */
	XW_ACT_MONITOR,     /* a live monitor-only rule matched: counted, passed */
	XW_ACT_ALLOW,       /* a deny rule matched but the allowlist saved it */
	XW_ACT_COUNT
};

/* Index into the traffic counter array. */
#define XW_TRAFFIC_IDX(ipver, l4, act) \
	((((ipver) * XW_L4_COUNT) + (l4)) * XW_ACT_COUNT + (act))
#define XW_TRAFFIC_SLOTS (XW_IPVER_COUNT * XW_L4_COUNT * XW_ACT_COUNT)

/*
 * Event counters: parse errors by reason, and ring buffer accounting.
 * A parse error never drops a packet by itself. When the L3 header was
 * good, source-prefix rules still apply (an attacker must not escape a
 * deny rule by truncating the L4 header); L4-qualified rules cannot match.
 * Keep xw_event_names[] in common/names.c in step.
 */
enum xw_event {
	XW_EV_NONE = 0, /* "no error" for the parser; never counted */
	XW_EV_ETH_TRUNC,
	XW_EV_VLAN_TRUNC,
	XW_EV_VLAN_TOO_MANY,
	XW_EV_IPV4_TRUNC,
	XW_EV_IPV4_BAD_HDR, /* version != 4 or IHL < 5 */
	XW_EV_IPV4_BAD_LEN, /* total length shorter than the header */
	XW_EV_IPV6_TRUNC,
	XW_EV_IPV6_BAD_HDR, /* version != 6 */
	XW_EV_IPV6_EXT_TRUNC,
	XW_EV_IPV6_EXT_TOO_MANY,
	XW_EV_TCP_TRUNC,
	XW_EV_TCP_BAD_DOFF,
	XW_EV_UDP_TRUNC,
	XW_EV_ICMP_TRUNC,
	XW_EV_ICMPV6_TRUNC,
	XW_EV_TUNNEL_TRUNC, /* VXLAN/Geneve/GRE header or inner frame cut */
	XW_EV_TUNNEL_UNSUPPORTED, /* GRE version/payload we do not look into */
	XW_EV_PARSE_ERROR_END, /* events from here on are not parse errors */
	XW_EV_RECORD_SAMPLED = XW_EV_PARSE_ERROR_END,
	XW_EV_RECORD_LOST_RINGBUF_FULL,
	XW_EV_RULE_EXPIRED_HIT, /* a deny entry matched but its TTL had passed */
	XW_EV_RULE_L4_MISS, /* source matched, L4 qualifier did not */
	XW_EV_TUNNEL_DECAP, /* packets whose inner headers were used */
	XW_EV_COUNT
};

/* Tunnel the record's headers came out of. */
enum xw_tunnel {
	XW_TUN_NONE = 0,
	XW_TUN_VXLAN,
	XW_TUN_GENEVE,
	XW_TUN_GRE,
	XW_TUN_IPIP, /* IPv4 or IPv6 carried directly in IPv4/IPv6 */
	XW_TUN_COUNT
};

/* Fragment flags in the record. */
#define XW_FRAG_DF 0x01 /* IPv4 don't fragment */
#define XW_FRAG_MF 0x02 /* more fragments follow */
#define XW_FRAG_LATER 0x04 /* offset != 0: no L4 header in this packet */
#define XW_FRAG_V6HDR 0x08 /* IPv6 fragment extension header present */

/* TCP flag bits, as in the record's tcp_flags and a rule's qualifier. */
#define XW_TCP_FIN 0x01
#define XW_TCP_SYN 0x02
#define XW_TCP_RST 0x04
#define XW_TCP_PSH 0x08
#define XW_TCP_ACK 0x10
#define XW_TCP_URG 0x20
#define XW_TCP_ECE 0x40
#define XW_TCP_CWR 0x80

/* Record flags. */
#define XW_REC_L4_VALID 0x01 /* ports/type/flags fields were read */
#define XW_REC_PARSE_ERROR 0x02 /* see the event counters for the reason */

/* The packet/byte pair every counter uses. */
struct xw_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Feature record: one sampled packet, fixed size, written into the ring
 * buffer. Addresses are in network byte order; IPv4 uses the first four
 * bytes and zeroes the rest. For ICMP/ICMPv6, sport holds the type and
 * dport the code. ts_ns is CLOCK_BOOTTIME; the collector converts it to wall
 * time. sample_rate is the N of 1-in-N that applied, so consumers can scale
 * each record back to an estimate.
 */
struct xw_record {
	__u64 ts_ns;
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 ifindex;
	__u32 rule_id; /* 0: no rule matched */
	__u32 sample_rate;
	__u32 pkt_len; /* frame length as received */
	__u16 rx_queue;
	__u16 vlan_id; /* outermost VLAN id, 0 when untagged */
	__u16 sport;
	__u16 dport;
	__u16 ip_len; /* IPv4 total length; IPv6 payload length + 40 */
	__u16 l4_payload_len; /* bytes after the L4 header, by the IP length */
	__u16 tcp_window;
	__u8 ip_ver; /* 4, 6 or 0 */
	__u8 l4_proto; /* IPPROTO_* of the innermost parsed header */
	__u8 tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ... */
	__u8 ttl; /* TTL or hop limit */
	__u8 tos; /* DSCP << 2 | ECN, IPv4 TOS or IPv6 traffic class */
	__u8 frag; /* XW_FRAG_* */
	__u8 action; /* enum xw_action */
	__u8 tunnel; /* enum xw_tunnel */
	__u8 vlan_count;
	__u8 flags; /* XW_REC_* */
};

/* What one record takes in the ring buffer: its 8-byte header and itself. */
#define XW_RINGBUF_SLOT (8 + 80)

/* LPM trie keys: prefix length in bits, then the address, network order. */
struct xw_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct xw_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Deny rule actions. */
enum xw_rule_action {
	XW_RULE_DROP = 0,
	XW_RULE_MONITOR = 1, /* count and sample as matched, never drop */
	/* pass up to rate_pps packets/s (counted as monitor), drop the rest
	 * (counted as drop); a token bucket per rule id, one second deep */
	XW_RULE_RATE_LIMIT = 2,
};

/*
 * Deny LPM value. The program enforces expires_ns itself, so a rule outlives
 * no collector by more than its TTL; 0 never matches. An L4 qualifier of 0
 * means "any". rule_id indexes rule_stats. prefixlen repeats the key's, so
 * that when this rule does not apply (expired, or its L4 qualifier misses)
 * the program can look for a shorter prefix that does: a narrow rule never
 * shelters traffic from a broader one.
 */
struct xw_rule {
	__u64 expires_ns; /* CLOCK_BOOTTIME */
	__u32 rule_id; /* 1 .. XW_MAX_RULES-1 */
	__u8 action; /* enum xw_rule_action */
	__u8 l4_proto; /* 0 any, else IPPROTO_TCP/UDP/... */
	__u16 sport; /* TCP/UDP source port, 0 any */
	__u16 dport; /* TCP/UDP destination port, 0 any */
	__u8 prefixlen; /* of the key this value is stored under */
	__u8 origin; /* enum xw_rule_origin: who may change or remove it */
	__u32 rate_pps; /* XW_RULE_RATE_LIMIT only */
	/* TCP only (l4_proto IPPROTO_TCP): a packet matches when
	 * (tcp_flags & tcp_flags_mask) == tcp_flags_value; mask 0: any.
	 * Lets a rule name "SYN without ACK" (a SYN flood) and spare the
	 * established connections to the same place. */
	__u8 tcp_flags_mask;
	__u8 tcp_flags_value;
	__u8 pad[6];
};

/*
 * Rules keyed by destination (reflection and amplification: "UDP from port
 * 53 to this victim"), in xw_deny_dst_v4/v6 by destination prefix. Several
 * can share one destination; each carries its own source prefix (length 0:
 * any source). Looked up only when no source-keyed rule applies. rule_id 0
 * marks a free entry; user space keeps the most specific first.
 */
#ifndef XW_DST_RULES
#define XW_DST_RULES 8
#endif

struct xw_dst_rule {
	struct xw_rule rule; /* its prefixlen: the destination key's */
	__u8 src[16]; /* network order; v4 in the first four bytes */
	__u8 src_len;
	__u8 pad[7];
};

struct xw_dst_rules {
	struct xw_dst_rule r[XW_DST_RULES];
};

/* Token bucket of a rate-limit rule, by rule id. tokens counts packets
 * times 1e9 so that refilling needs no division on the packet path. */
struct xw_rate_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tokens;
	__u64 last_ns; /* CLOCK_BOOTTIME */
};

enum xw_rule_origin {
	XW_ORIGIN_LOCAL = 0, /* xdpwatch rule add, on this host */
	XW_ORIGIN_VERDICT = 1, /* a verdict from the topic, by the collector */
};

/*
 * Rule ids: local rules take the lower half, verdicts the upper, so the
 * CLI and the collector never hand out the same id.
 */
#define XW_RULE_ID_VERDICT_BASE (XW_MAX_RULES / 2)

/*
 * Which verdict a rule id holds (xw_verdict_ids, by rule id): what lets a
 * restarted collector find the rules it wrote, keep those the topic still
 * wants and remove the rest. Not read by the XDP program.
 */
struct xw_verdict_slot {
	char rule_id[64]; /* the verdict's rule id (the Kafka key) */
	__u64 version;
	struct xw_lpm_v6 key; /* where the rule sits: prefixlen, address */
	__u8 family; /* 4 or 6 */
	__u8 has_dst; /* 1: in xw_deny_dst_*, under dst, with key as source */
	__u8 pad[2];
	struct xw_lpm_v6 dst;
	__u8 pad2[4];
};

/* Shorter prefixes tried after a rule that does not apply. */
#ifndef XW_RULE_FALLBACKS
#define XW_RULE_FALLBACKS 4
#endif

/*
 * Why a collector refused a verdict. Counted per reason, logged with it,
 * published in RuleStats.refused by name (common/names.c).
 */
enum xw_refusal {
	XW_REFUSE_NONE = 0,
	XW_REFUSE_MALFORMED, /* not a SignedEnvelope, or a body that is not */
	XW_REFUSE_SCHEMA, /* an envelope schema_version we do not know */
	XW_REFUSE_UNKNOWN_KEY, /* key_id not among the trusted public keys */
	XW_REFUSE_BAD_SIGNATURE,
	XW_REFUSE_MISMATCH, /* envelope, body and Kafka key disagree */
	XW_REFUSE_WRONG_TOPIC, /* signed for another topic */
	XW_REFUSE_REPLAY, /* a version not newer than the one applied */
	XW_REFUSE_EXPIRED, /* created + ttl already past */
	XW_REFUSE_FUTURE, /* created too far in the future */
	XW_REFUSE_TTL, /* no TTL, or over the configured maximum */
	XW_REFUSE_BAD_MATCH, /* prefix, ports or protocol out of range */
	XW_REFUSE_DROP_ALL, /* 0.0.0.0/0 or ::/0 without an L4 qualifier */
	XW_REFUSE_ALLOWLISTED, /* source inside the allowlist */
	XW_REFUSE_BUDGET, /* over the configured rule budget */
	XW_REFUSE_MAP_FULL, /* the kernel map refused the entry */
	XW_REFUSE_CONFLICT, /* another live rule holds the same source prefix */
	XW_REFUSE_COUNT
};

/* Run-time tunables, one entry, changeable without reloading. */
struct xw_config {
	__u32 sample_rate; /* 0: no records; 1: every packet; N: 1 in N */
	__u32 sample_threshold; /* sample when prandom < this; set by user space */
	__u32 wakeup_bytes; /* wake the drain once this much is queued */
	__u32 pad;
};

#ifndef __bpf__
_Static_assert(sizeof(struct xw_record) == 80, "xw_record layout");
_Static_assert(XW_RINGBUF_SLOT == 8 + sizeof(struct xw_record), "ring slot");
_Static_assert(sizeof(struct xw_rule) == 32, "xw_rule layout");
_Static_assert(sizeof(struct xw_verdict_slot) == 120, "xw_verdict_slot layout");
_Static_assert(sizeof(struct xw_dst_rule) == 56, "xw_dst_rule layout");
_Static_assert(sizeof(struct xw_config) == 16, "xw_config layout");
_Static_assert(sizeof(struct xw_lpm_v4) == 8, "xw_lpm_v4 layout");
_Static_assert(sizeof(struct xw_lpm_v6) == 20, "xw_lpm_v6 layout");
#endif

#endif /* XDPWATCH_SHARED_H */
