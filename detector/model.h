/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * model.h - what the detector measures and what it calls an attack: the
 * per-destination metrics, the attack classes (the values of
 * xdpwatch.v1.AttackClass), the reflection services, the thresholds.
 *
 * Every metric is an estimate of packets (or bytes) per second over a
 * sliding one-second window of XW_WINDOW_SLOTS slots, from sampled records
 * scaled by their sampling rate and by the exact counters (see ingest.h).
 * The packet classes are disjoint, so one flood raises one class: a SYN is
 * not an ACK, a fragment is not counted as UDP, a reply from port 53 is
 * DNS reflection and not a UDP flood.
 */
#ifndef XW_MODEL_H
#define XW_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define XW_SLOT_MS 250
#define XW_WINDOW_SLOTS 4 /* one second */

enum xw_refl_service {
	XW_REFL_DNS,
	XW_REFL_NTP,
	XW_REFL_SSDP,
	XW_REFL_MEMCACHED,
	XW_REFL_CLDAP,
	XW_REFL_CHARGEN,
	XW_REFL_COUNT,
};

enum xw_metric {
	XW_M_PKTS,
	XW_M_BYTES,
	XW_M_SYN, /* TCP SYN without ACK */
	XW_M_ACK, /* TCP ACK alone: no SYN, RST or FIN */
	XW_M_RST,
	XW_M_TCP_OTHER, /* the rest of TCP: data, FIN, SYN-ACK */
	XW_M_UDP, /* UDP not from a reflector port, not fragmented */
	XW_M_UDP_BYTES,
	XW_M_ICMP,
	XW_M_ICMP6,
	XW_M_FRAG, /* IPv4 fragments, IPv6 fragment headers */
	XW_M_REFL, /* XW_REFL_COUNT metrics: packets by service */
	XW_M_REFL_BYTES = XW_M_REFL + XW_REFL_COUNT,
	XW_M_COUNT = XW_M_REFL_BYTES + XW_REFL_COUNT,
};

/* The values of xdpwatch.v1.AttackClass. */
enum xw_attack_class {
	XW_ATTACK_UNKNOWN = 0,
	XW_ATTACK_SYN_FLOOD = 1,
	XW_ATTACK_UDP_FLOOD = 2,
	XW_ATTACK_ICMP_FLOOD = 3,
	XW_ATTACK_ICMPV6_FLOOD = 4,
	XW_ATTACK_DNS_REFLECTION = 5, /* to CHARGEN: XW_REFL_* in order */
	XW_ATTACK_NTP_REFLECTION = 6,
	XW_ATTACK_SSDP_REFLECTION = 7,
	XW_ATTACK_MEMCACHED_REFLECTION = 8,
	XW_ATTACK_CLDAP_REFLECTION = 9,
	XW_ATTACK_CHARGEN_REFLECTION = 10,
	XW_ATTACK_TCP_ACK_FLOOD = 11,
	XW_ATTACK_TCP_RST_FLOOD = 12,
	XW_ATTACK_FRAGMENT_FLOOD = 13,
	XW_ATTACK_CARPET_BOMBING = 14,
	XW_ATTACK_COUNT,
};

struct xw_refl_info {
	uint16_t port;
	uint16_t min_avg_bytes; /* replies this big on average: amplification */
	const char *name;
};

extern const struct xw_refl_info xw_refl_services[XW_REFL_COUNT];

/* The metric that carries a class (carpet bombing: of its vector). */
enum xw_metric xw_class_metric(enum xw_attack_class c);
/* IPPROTO_* the class's packets carry, 0 for fragments. */
uint8_t xw_class_l4(enum xw_attack_class c);
/* "syn_flood", "dns_reflection", ...: config keys and attack ids. */
const char *xw_class_name(enum xw_attack_class c);
int xw_class_parse(const char *name);

/* A destination: a host (len 32 or 128) or a prefix (carpet bombing). */
struct xw_dkey {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t addr[16]; /* network order, bits past len zero */
};

/*
 * When a class is an attack on one destination. A static threshold per
 * class (0: the class is not detected); with learning on, a destination's
 * own baseline raises it: max(static, mean + k * stddev, factor * mean)
 * once the baseline is warm, so a busy host's normal load is not an
 * attack while a quiet host is still held to the static number.
 */
struct xw_thresholds {
	double pps[XW_ATTACK_COUNT];
	double udp_bps; /* UDP flood by volume too; 0 off */
	bool learn;
};

/* One second of a destination, per second. */
struct xw_window {
	double m[XW_M_COUNT];
};

#endif /* XW_MODEL_H */
