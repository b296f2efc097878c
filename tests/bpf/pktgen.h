/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * pktgen.h - a packet builder for the BPF tests: headers are pushed one
 * after the other into a byte buffer, as cilium's bpf/tests/pktgen.h does.
 *
 * API (each push returns the offset its header starts at, so a test can
 * corrupt a field afterwards):
 *   pktgen__init(b)
 *   pktgen__eth(b)                        Ethernet, fixed MACs
 *   pktgen__vlan(b, tpid, tci)            one 802.1Q/802.1ad tag
 *   pktgen__arp(b)                        ARP request
 *   pktgen__ipv4(b, &(struct pg_ipv4){...})   with options when .optlen
 *   pktgen__ipv6(b, &(struct pg_ipv6){...})
 *   pktgen__ipv6_ext(b, type, hdrlen)     hop-by-hop/routing/dest/AH
 *   pktgen__ipv6_frag(b, offset, mf)      fragment header, offset in bytes
 *   pktgen__tcp(b, &(struct pg_tcp){...}), pktgen__udp(b, sport, dport)
 *   pktgen__icmp(b, type, code), pktgen__icmpv6(b, type, code)
 *   pktgen__vxlan(b, vni), pktgen__geneve(b, vni, optlen),
 *   pktgen__gre(b, flags)
 *   pktgen__payload(b, n)
 *   pktgen__link(b, ethertype, ipproto)   set a pending "next" field by hand
 *   pktgen__finish(b)                     fill lengths; returns the length
 *
 * Chaining: a header that names what follows it (Ethertype, IPv4 protocol,
 * IPv6 next header, GRE/Geneve protocol) leaves that field pending, and the
 * next push fills it with its own type. Ethernet after GRE or Geneve is
 * linked as 0x6558; after a VXLAN header nothing is pending. Lengths (IPv4
 * total length, IPv6 payload length, UDP length) are filled by
 * pktgen__finish() from the final frame, so a frame cut later keeps the
 * lengths of the whole, like a truncated capture. Checksums stay zero: XDP
 * does not look at them.
 */
#ifndef XW_TESTS_PKTGEN_H
#define XW_TESTS_PKTGEN_H

#include <arpa/inet.h>
#include <assert.h>
#include <stdint.h>
#include <string.h>

#define PKTGEN_MAX 1024
#define PKTGEN_MAX_FIX 8

#define PG_ETH_P_IP 0x0800
#define PG_ETH_P_ARP 0x0806
#define PG_ETH_P_IPV6 0x86DD
#define PG_ETH_P_8021Q 0x8100
#define PG_ETH_P_8021AD 0x88A8
#define PG_ETH_P_TEB 0x6558

#define PG_IPPROTO_HOP 0
#define PG_IPPROTO_ICMP 1
#define PG_IPPROTO_IPIP 4
#define PG_IPPROTO_TCP 6
#define PG_IPPROTO_UDP 17
#define PG_IPPROTO_IPV6 41
#define PG_IPPROTO_ROUTING 43
#define PG_IPPROTO_FRAGMENT 44
#define PG_IPPROTO_GRE 47
#define PG_IPPROTO_AH 51
#define PG_IPPROTO_ICMPV6 58
#define PG_IPPROTO_NONE 59
#define PG_IPPROTO_DEST 60

#define PG_IP_DF 0x4000
#define PG_IP_MF 0x2000

#define PG_TCP_FIN 0x01
#define PG_TCP_SYN 0x02
#define PG_TCP_RST 0x04
#define PG_TCP_PSH 0x08
#define PG_TCP_ACK 0x10

#define PG_GRE_CSUM 0x8000
#define PG_GRE_ROUTING 0x4000
#define PG_GRE_KEY 0x2000
#define PG_GRE_SEQ 0x1000

enum pg_pending { PG_NEXT_NONE, PG_NEXT_ETHERTYPE, PG_NEXT_IPPROTO };
enum pg_fix { PG_FIX_IPV4_TOTLEN, PG_FIX_IPV6_PLEN, PG_FIX_UDP_LEN };

struct pktgen {
	uint8_t buf[PKTGEN_MAX];
	uint16_t len;
	uint16_t next_off; /* where the pending "next" field is */
	uint8_t next_kind; /* enum pg_pending */
	uint8_t nfix;
	struct {
		uint16_t off; /* start of the header whose length is fixed */
		uint8_t kind; /* enum pg_fix */
	} fix[PKTGEN_MAX_FIX];
};

struct pg_ipv4 {
	const char *saddr, *daddr;
	uint8_t tos;
	uint8_t ttl; /* 0: 64 */
	uint16_t frag_off; /* host order: PG_IP_DF | PG_IP_MF | offset/8 */
	uint8_t optlen; /* bytes of NOP options, a multiple of 4 */
};

struct pg_ipv6 {
	const char *saddr, *daddr;
	uint8_t tclass;
	uint8_t hop_limit; /* 0: 64 */
	uint32_t flow; /* 20 bits */
};

struct pg_tcp {
	uint16_t sport, dport;
	uint8_t flags;
	uint16_t window;
	uint8_t optlen; /* bytes of NOP options, a multiple of 4 */
};

static inline void pg_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xFF;
}

static inline void pg_put32(uint8_t *p, uint32_t v)
{
	pg_put16(p, v >> 16);
	pg_put16(p + 2, v & 0xFFFF);
}

static inline void pktgen__init(struct pktgen *b)
{
	memset(b, 0, sizeof(*b));
}

/* Append n zeroed bytes; returns their offset. */
static inline int pg_push(struct pktgen *b, size_t n)
{
	int off = b->len;

	assert(b->len + n <= PKTGEN_MAX);
	memset(b->buf + off, 0, n);
	b->len += n;
	return off;
}

/* Fill the pending "next" field with what the caller is about to push. */
static inline void pktgen__link(struct pktgen *b, uint16_t ethertype,
				uint8_t ipproto)
{
	if (b->next_kind == PG_NEXT_ETHERTYPE && ethertype)
		pg_put16(b->buf + b->next_off, ethertype);
	else if (b->next_kind == PG_NEXT_IPPROTO)
		b->buf[b->next_off] = ipproto;
	b->next_kind = PG_NEXT_NONE;
}

static inline void pg_pending(struct pktgen *b, uint16_t off, uint8_t kind)
{
	b->next_off = off;
	b->next_kind = kind;
}

static inline void pg_fixup(struct pktgen *b, uint16_t off, uint8_t kind)
{
	assert(b->nfix < PKTGEN_MAX_FIX);
	b->fix[b->nfix].off = off;
	b->fix[b->nfix].kind = kind;
	b->nfix++;
}

static inline void pg_addr(const char *s, int family, uint8_t *dst)
{
	int ok = inet_pton(family, s, dst);

	assert(ok == 1);
	(void)ok;
}

static inline int pktgen__eth(struct pktgen *b)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	int off;

	pktgen__link(b, PG_ETH_P_TEB, 0);
	off = pg_push(b, 14);
	memcpy(b->buf + off, dst, 6);
	memcpy(b->buf + off + 6, src, 6);
	pg_pending(b, off + 12, PG_NEXT_ETHERTYPE);
	return off;
}

static inline int pktgen__vlan(struct pktgen *b, uint16_t tpid, uint16_t tci)
{
	int off;

	pktgen__link(b, tpid, 0);
	off = pg_push(b, 4);
	pg_put16(b->buf + off, tci);
	pg_pending(b, off + 2, PG_NEXT_ETHERTYPE);
	return off;
}

static inline int pktgen__arp(struct pktgen *b)
{
	int off;

	pktgen__link(b, PG_ETH_P_ARP, 0);
	off = pg_push(b, 28);
	pg_put16(b->buf + off, 1); /* Ethernet */
	pg_put16(b->buf + off + 2, PG_ETH_P_IP);
	b->buf[off + 4] = 6;
	b->buf[off + 5] = 4;
	pg_put16(b->buf + off + 6, 1); /* request */
	return off;
}

static inline int pktgen__ipv4(struct pktgen *b, const struct pg_ipv4 *o)
{
	size_t hlen = 20 + o->optlen;
	int off;

	assert(o->optlen % 4 == 0 && hlen <= 60);
	pktgen__link(b, PG_ETH_P_IP, PG_IPPROTO_IPIP);
	off = pg_push(b, hlen);
	b->buf[off] = 0x40 | (hlen / 4);
	b->buf[off + 1] = o->tos;
	pg_put16(b->buf + off + 4, 0x1234); /* id */
	pg_put16(b->buf + off + 6, o->frag_off);
	b->buf[off + 8] = o->ttl ? o->ttl : 64;
	pg_addr(o->saddr, AF_INET, b->buf + off + 12);
	pg_addr(o->daddr, AF_INET, b->buf + off + 16);
	memset(b->buf + off + 20, 1, o->optlen); /* NOP */
	pg_pending(b, off + 9, PG_NEXT_IPPROTO);
	pg_fixup(b, off, PG_FIX_IPV4_TOTLEN);
	return off;
}

static inline int pktgen__ipv6(struct pktgen *b, const struct pg_ipv6 *o)
{
	int off;

	pktgen__link(b, PG_ETH_P_IPV6, PG_IPPROTO_IPV6);
	off = pg_push(b, 40);
	pg_put32(b->buf + off, 6u << 28 | (uint32_t)o->tclass << 20 |
				       (o->flow & 0xFFFFF));
	b->buf[off + 6] = PG_IPPROTO_NONE;
	b->buf[off + 7] = o->hop_limit ? o->hop_limit : 64;
	pg_addr(o->saddr, AF_INET6, b->buf + off + 8);
	pg_addr(o->daddr, AF_INET6, b->buf + off + 24);
	pg_pending(b, off + 6, PG_NEXT_IPPROTO);
	pg_fixup(b, off, PG_FIX_IPV6_PLEN);
	return off;
}

/*
 * An extension header of the generic shape: hop-by-hop, routing and
 * destination options are (hdrlen + 1) * 8 bytes, AH is (hdrlen + 2) * 4.
 * The body is zeros, which reads as Pad1 options.
 */
static inline int pktgen__ipv6_ext(struct pktgen *b, uint8_t type,
				   uint8_t hdrlen)
{
	size_t len = type == PG_IPPROTO_AH ? (hdrlen + 2) * 4 :
					     (hdrlen + 1) * 8;
	int off;

	pktgen__link(b, 0, type);
	off = pg_push(b, len);
	b->buf[off] = PG_IPPROTO_NONE;
	b->buf[off + 1] = hdrlen;
	pg_pending(b, off, PG_NEXT_IPPROTO);
	return off;
}

/* Fragment header; offset in bytes (a multiple of 8). */
static inline int pktgen__ipv6_frag(struct pktgen *b, uint16_t offset,
				    int mf)
{
	int off;

	assert(offset % 8 == 0);
	pktgen__link(b, 0, PG_IPPROTO_FRAGMENT);
	off = pg_push(b, 8);
	b->buf[off] = PG_IPPROTO_NONE;
	pg_put16(b->buf + off + 2, offset | (mf ? 1 : 0));
	pg_put32(b->buf + off + 4, 0xCAFE); /* identification */
	pg_pending(b, off, PG_NEXT_IPPROTO);
	return off;
}

static inline int pktgen__tcp(struct pktgen *b, const struct pg_tcp *o)
{
	size_t hlen = 20 + o->optlen;
	int off;

	assert(o->optlen % 4 == 0 && hlen <= 60);
	pktgen__link(b, 0, PG_IPPROTO_TCP);
	off = pg_push(b, hlen);
	pg_put16(b->buf + off, o->sport);
	pg_put16(b->buf + off + 2, o->dport);
	pg_put32(b->buf + off + 4, 1000); /* seq */
	pg_put32(b->buf + off + 8, o->flags & PG_TCP_ACK ? 2000 : 0);
	b->buf[off + 12] = (hlen / 4) << 4;
	b->buf[off + 13] = o->flags;
	pg_put16(b->buf + off + 14, o->window);
	memset(b->buf + off + 20, 1, o->optlen); /* NOP */
	return off;
}

static inline int pktgen__udp(struct pktgen *b, uint16_t sport,
			      uint16_t dport)
{
	int off;

	pktgen__link(b, 0, PG_IPPROTO_UDP);
	off = pg_push(b, 8);
	pg_put16(b->buf + off, sport);
	pg_put16(b->buf + off + 2, dport);
	pg_fixup(b, off, PG_FIX_UDP_LEN);
	return off;
}

/* ICMP: type, code, checksum, then 4 bytes (echo id and sequence). */
static inline int pktgen__icmp(struct pktgen *b, uint8_t type, uint8_t code)
{
	int off;

	pktgen__link(b, 0, PG_IPPROTO_ICMP);
	off = pg_push(b, 8);
	b->buf[off] = type;
	b->buf[off + 1] = code;
	pg_put32(b->buf + off + 4, 0x00420001);
	return off;
}

static inline int pktgen__icmpv6(struct pktgen *b, uint8_t type,
				 uint8_t code)
{
	int off;

	pktgen__link(b, 0, PG_IPPROTO_ICMPV6);
	off = pg_push(b, 8);
	b->buf[off] = type;
	b->buf[off + 1] = code;
	pg_put32(b->buf + off + 4, 0x00420001);
	return off;
}

static inline int pktgen__vxlan(struct pktgen *b, uint32_t vni)
{
	int off = pg_push(b, 8);

	b->buf[off] = 0x08; /* I: VNI valid */
	pg_put32(b->buf + off + 4, vni << 8);
	b->next_kind = PG_NEXT_NONE;
	return off;
}

/* Geneve with optlen bytes of options (a multiple of 4, at most 252). */
static inline int pktgen__geneve(struct pktgen *b, uint32_t vni,
				 uint8_t optlen)
{
	int off;

	assert(optlen % 4 == 0 && optlen / 4 <= 0x3F);
	off = pg_push(b, 8 + optlen);
	b->buf[off] = optlen / 4; /* version 0 */
	pg_put32(b->buf + off + 4, vni << 8);
	if (optlen) {
		/* one option TLV spanning them all: class, type, length */
		pg_put16(b->buf + off + 8, 0x0101);
		b->buf[off + 10] = 0x80;
		b->buf[off + 11] = optlen / 4 - 1;
	}
	pg_pending(b, off + 2, PG_NEXT_ETHERTYPE);
	return off;
}

/* GRE with the optional fields its flags ask for, in RFC 2890 order. */
static inline int pktgen__gre(struct pktgen *b, uint16_t flags)
{
	size_t len = 4;
	int off;

	len += flags & PG_GRE_CSUM ? 4 : 0;
	len += flags & PG_GRE_KEY ? 4 : 0;
	len += flags & PG_GRE_SEQ ? 4 : 0;
	pktgen__link(b, 0, PG_IPPROTO_GRE);
	off = pg_push(b, len);
	pg_put16(b->buf + off, flags);
	for (size_t i = 4; i < len; i += 4)
		pg_put32(b->buf + off + i, 0xA0A0A0A0); /* csum, key, seq */
	pg_pending(b, off + 2, PG_NEXT_ETHERTYPE);
	return off;
}

static inline int pktgen__payload(struct pktgen *b, size_t n)
{
	int off = pg_push(b, n);

	for (size_t i = 0; i < n; i++)
		b->buf[off + i] = 0xA5 ^ i;
	return off;
}

static inline size_t pktgen__finish(struct pktgen *b)
{
	for (int i = 0; i < b->nfix; i++) {
		uint16_t off = b->fix[i].off;

		switch (b->fix[i].kind) {
		case PG_FIX_IPV4_TOTLEN:
			pg_put16(b->buf + off + 2, b->len - off);
			break;
		case PG_FIX_IPV6_PLEN:
			pg_put16(b->buf + off + 4, b->len - off - 40);
			break;
		case PG_FIX_UDP_LEN:
			pg_put16(b->buf + off + 4, b->len - off);
			break;
		}
	}
	return b->len;
}

#endif /* XW_TESTS_PKTGEN_H */
