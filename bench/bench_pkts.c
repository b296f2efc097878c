// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench_pkts.c - see bench_pkts.h. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "bench_pkts.h"

#define ETH_HDR 14
#define IPV4_HDR 20
#define IPV6_HDR 40
#define TCP_HDR 24 /* 20 + MSS option */
#define ETH_MIN 60 /* shortest frame without FCS */

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

void bench_pkt__tcp_syn(struct bench_pkt *p, int family, const uint8_t *saddr,
			const uint8_t *daddr)
{
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	size_t alen = family == AF_INET ? 4 : 16;
	size_t l3 = family == AF_INET ? IPV4_HDR : IPV6_HDR;
	uint8_t *ip = p->data + ETH_HDR, *tcp = ip + l3;
	uint32_t sum;

	memset(p, 0, sizeof(*p));
	memcpy(p->data, dmac, 6);
	memcpy(p->data + 6, smac, 6);
	put16(p->data + 12, family == AF_INET ? 0x0800 : 0x86DD);

	if (family == AF_INET) {
		ip[0] = 0x45;
		put16(ip + 2, IPV4_HDR + TCP_HDR);
		put16(ip + 4, 0x1234); /* id */
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6; /* TCP */
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, IPV4_HDR)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, TCP_HDR);
		ip[6] = 6; /* TCP */
		ip[7] = 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
	}

	put16(tcp, BENCH_SPORT);
	put16(tcp + 2, BENCH_DPORT);
	tcp[4] = 0x5e; /* sequence number */
	tcp[5] = 0xed;
	tcp[12] = (TCP_HDR / 4) << 4;
	tcp[13] = 0x02; /* SYN */
	put16(tcp + 14, 64240);
	tcp[20] = 2; /* MSS */
	tcp[21] = 4;
	put16(tcp + 22, 1460);

	/* Pseudo-header: addresses, protocol, TCP length. */
	sum = csum_add(0, saddr, alen);
	sum = csum_add(sum, daddr, alen);
	sum += 6 + TCP_HDR;
	sum = csum_add(sum, tcp, TCP_HDR);
	put16(tcp + 16, csum_fold(sum));

	p->len = ETH_HDR + l3 + TCP_HDR;
	if (p->len < ETH_MIN)
		p->len = ETH_MIN; /* zero padding after the IP datagram */
}
