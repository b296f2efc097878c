/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench_pkts.h - the crafted frames every benchmark row runs on.
 *
 *   bench_pkt__tcp_syn(p, family, saddr, daddr)
 *       an Ethernet + IPv4/IPv6 + TCP SYN frame (MSS option, valid
 *       checksums), sport 40000, dport 80, padded to the 60-byte Ethernet
 *       minimum: 60 bytes for IPv4 (64 on the wire with FCS), 78 for IPv6
 *
 * Addresses are raw network-order bytes: 4 for AF_INET, 16 for AF_INET6.
 */
#ifndef XW_BENCH_PKTS_H
#define XW_BENCH_PKTS_H

#include <stdint.h>

#define BENCH_PKT_MAX 128
#define BENCH_SPORT 40000
#define BENCH_DPORT 80

struct bench_pkt {
	uint8_t data[BENCH_PKT_MAX];
	uint32_t len;
};

void bench_pkt__tcp_syn(struct bench_pkt *p, int family, const uint8_t *saddr,
			const uint8_t *daddr);

#endif /* XW_BENCH_PKTS_H */
