/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.h - header parsing for the XDP program. BPF side only.
 *
 * API:
 *   struct pkt                          what the parser learned
 *   int xw_parse_fast(ctx, p)           inlined: the common frame, or
 *                                       XW_PARSE_SLOW for everything else
 *   int xw_parse(ctx, p, inner)         global: every frame; 0 or the enum
 *                                       xw_event of the first error; fills
 *                                       p->rec and the keys
 *
 * The parser copies what it reads into struct pkt (the feature record as far
 * as headers fill it), so later stages hold no packet pointers. Every read is
 * bounds-checked. The parser never decides the verdict: on an error it stops
 * and leaves what was good (an L3 header that parsed stays usable for
 * source-prefix rules). One tunnel level is opened; an inner frame that
 * cannot be read falls back to the outer headers.
 *
 * Verifier cost: xw_parse() and xw_parse_ip() are global functions, each
 * verified once on its own, so the tunnel's second pass over L3/L4 and the
 * IPv6 extension chain do not multiply the states of the caller. Each call
 * costs a few ns per packet, so xw_parse_fast() inlines the one pass over
 * the same header steps that the common frame needs. The chain
 * is read with bpf_xdp_load_bytes at a scalar offset, as cilium does, so
 * its loop prunes.
 */
#ifndef XDPWATCH_PARSE_H
#define XDPWATCH_PARSE_H

#include "xdpwatch_shared.h"

/* vmlinux.h carries types, not the uapi #defines. */
#define XW_ETH_P_IP 0x0800
#define XW_ETH_P_IPV6 0x86DD
#define XW_ETH_P_8021Q 0x8100
#define XW_ETH_P_8021AD 0x88A8
#define XW_ETH_P_TEB 0x6558 /* transparent Ethernet bridging (GRE, Geneve) */

#define XW_IPPROTO_ICMPV6 58

#define XW_IP_MF 0x2000
#define XW_IP_DF 0x4000
#define XW_IP_OFFSET 0x1FFF

#define XW_NEXTHDR_HOP 0
#define XW_NEXTHDR_ROUTING 43
#define XW_NEXTHDR_FRAGMENT 44
#define XW_NEXTHDR_AUTH 51
#define XW_NEXTHDR_DEST 60

#define XW_GRE_CSUM 0x8000
#define XW_GRE_ROUTING 0x4000
#define XW_GRE_KEY 0x2000
#define XW_GRE_SEQ 0x1000
#define XW_GRE_VERSION 0x0007

/* Returned by xw_parse_fast() for a frame only xw_parse() reads; no event. */
#define XW_PARSE_SLOW (-1)

/* Offsets past this are not followed; keeps pointer arithmetic bounded. */
#define XW_MAX_HDR_OFF 0x0FFF

struct xw_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct xw_vxlan_hdr {
	__be32 flags;
	__be32 vni;
};

struct xw_geneve_hdr {
	__u8 opt_len; /* version(2) | options length in 4-byte words (6) */
	__u8 flags;
	__be16 proto;
	__u8 vni[3];
	__u8 rsvd;
};

struct xw_gre_hdr {
	__be16 flags;
	__be16 proto;
};

/* Hop-by-hop, routing, destination options, AH and fragment all start so. */
struct xw_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off; /* fragment header only: offset(13) res(2) M(1) */
};

struct pkt {
	struct xw_record rec; /* addresses, ports, lengths, flags */
	__u16 next_off; /* end of L4 header when parsed, else end of L3 */
	__u8 ipver; /* enum xw_ipver, counter index */
	__u8 l4_class; /* enum xw_l4, counter index */
	__u8 pad[4];
};

static __always_inline int eth_parse(void *data, void *end, __u32 *off,
				     __be16 *proto, struct pkt *p, bool outer)
{
	struct ethhdr *eth;
	__be16 type;
	int i;

	if (*off > XW_MAX_HDR_OFF)
		return XW_EV_TUNNEL_TRUNC;
	eth = data + *off;
	if ((void *)(eth + 1) > end)
		return outer ? XW_EV_ETH_TRUNC : XW_EV_TUNNEL_TRUNC;
	type = eth->h_proto;
	*off += sizeof(*eth);

#pragma unroll
	for (i = 0; i < XW_MAX_VLAN_TAGS; i++) {
		struct xw_vlan_hdr *vlan;

		if (type != bpf_htons(XW_ETH_P_8021Q) &&
		    type != bpf_htons(XW_ETH_P_8021AD))
			break;
		if (*off > XW_MAX_HDR_OFF)
			return XW_EV_VLAN_TRUNC;
		vlan = data + *off;
		if ((void *)(vlan + 1) > end)
			return XW_EV_VLAN_TRUNC;
		if (outer) {
			if (i == 0)
				p->rec.vlan_id = bpf_ntohs(vlan->tci) & 0x0FFF;
			p->rec.vlan_count++;
		}
		type = vlan->encap_proto;
		*off += sizeof(*vlan);
	}
	if (type == bpf_htons(XW_ETH_P_8021Q) ||
	    type == bpf_htons(XW_ETH_P_8021AD))
		return XW_EV_VLAN_TOO_MANY;
	*proto = type;
	return 0;
}

static __always_inline int ipv4_parse(void *data, void *end, __u32 *off,
				      struct pkt *p)
{
	struct iphdr *ip;
	__u32 hlen;
	__u16 frag;

	if (*off > XW_MAX_HDR_OFF)
		return XW_EV_IPV4_TRUNC;
	ip = data + *off;
	if ((void *)(ip + 1) > end)
		return XW_EV_IPV4_TRUNC;
	if (ip->version != 4 || ip->ihl < 5)
		return XW_EV_IPV4_BAD_HDR;
	hlen = ip->ihl * 4;
	if ((void *)ip + hlen > end)
		return XW_EV_IPV4_TRUNC;
	if (bpf_ntohs(ip->tot_len) < hlen)
		return XW_EV_IPV4_BAD_LEN;

	p->ipver = XW_IPVER_4;
	p->rec.ip_ver = 4;
	__builtin_memcpy(p->rec.saddr, &ip->saddr, 4);
	__builtin_memcpy(p->rec.daddr, &ip->daddr, 4);
	p->rec.ttl = ip->ttl;
	p->rec.tos = ip->tos;
	p->rec.ip_len = bpf_ntohs(ip->tot_len);
	p->rec.l4_proto = ip->protocol;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & XW_IP_DF)
		p->rec.frag |= XW_FRAG_DF;
	if (frag & XW_IP_MF)
		p->rec.frag |= XW_FRAG_MF;
	if (frag & XW_IP_OFFSET)
		p->rec.frag |= XW_FRAG_LATER;
	*off += hlen;
	return 0;
}

/* Next-header values the chain walk steps over. */
static __always_inline bool ipv6_is_ext(__u8 next)
{
	return next == XW_NEXTHDR_HOP || next == XW_NEXTHDR_ROUTING ||
	       next == XW_NEXTHDR_DEST || next == XW_NEXTHDR_AUTH ||
	       next == XW_NEXTHDR_FRAGMENT;
}

/*
 * The fixed IPv6 header. *next is its next-header field; p->rec.l4_proto is
 * left to the caller, which knows whether an extension chain follows.
 */
static __always_inline int ipv6_parse(void *data, void *end, __u32 *off,
				      struct pkt *p, __u8 *next)
{
	struct ipv6hdr *ip6;

	if (*off > XW_MAX_HDR_OFF)
		return XW_EV_IPV6_TRUNC;
	ip6 = data + *off;
	if ((void *)(ip6 + 1) > end)
		return XW_EV_IPV6_TRUNC;
	if (ip6->version != 6)
		return XW_EV_IPV6_BAD_HDR;

	p->ipver = XW_IPVER_6;
	p->rec.ip_ver = 6;
	__builtin_memcpy(p->rec.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->rec.daddr, &ip6->daddr, 16);
	p->rec.ttl = ip6->hop_limit;
	p->rec.tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p->rec.ip_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	*next = ip6->nexthdr;
	*off += sizeof(*ip6);
	return 0;
}

/* The extension-header chain from *off, bounded by XW_MAX_IPV6_EXT_HDRS. */
static __always_inline int ipv6_ext_walk(struct xdp_md *ctx, __u32 *off,
					 struct pkt *p, __u8 next)
{
	struct xw_ipv6_ext ext;
	__u32 pos = *off;
	int i;

	/* One pass more than headers walked: after the last walked header,
	 * the chain may end, and a chain of exactly the limit is good. */
	for (i = 0; i <= XW_MAX_IPV6_EXT_HDRS; i++) {
		if (!ipv6_is_ext(next)) {
			p->rec.l4_proto = next;
			*off = pos;
			return 0;
		}
		if (i == XW_MAX_IPV6_EXT_HDRS)
			break;
		if (bpf_xdp_load_bytes(ctx, pos, &ext, sizeof(ext)))
			return XW_EV_IPV6_EXT_TRUNC;
		if (next == XW_NEXTHDR_FRAGMENT) {
			__u16 fo = bpf_ntohs(ext.frag_off);

			p->rec.frag |= XW_FRAG_V6HDR;
			if (fo & 1)
				p->rec.frag |= XW_FRAG_MF;
			if (fo & 0xFFF8)
				p->rec.frag |= XW_FRAG_LATER;
			pos += 8;
		} else if (next == XW_NEXTHDR_AUTH) {
			pos += (ext.hdrlen + 2) * 4;
		} else {
			pos += (ext.hdrlen + 1) * 8;
		}
		next = ext.nexthdr;
	}
	/* Longer than we walk: say so; L3 stays good for prefix rules. */
	p->rec.l4_proto = next;
	return XW_EV_IPV6_EXT_TOO_MANY;
}

static __always_inline int l4_trunc_event(__u8 l4_class)
{
	switch (l4_class) {
	case XW_L4_TCP:
		return XW_EV_TCP_TRUNC;
	case XW_L4_UDP:
		return XW_EV_UDP_TRUNC;
	case XW_L4_ICMP:
		return XW_EV_ICMP_TRUNC;
	default:
		return XW_EV_ICMPV6_TRUNC;
	}
}

/* L4 after a good L3 header. Later fragments carry no L4 header. */
static __always_inline int l4_parse(void *data, void *end, __u32 off,
				    struct pkt *p)
{
	__u8 proto = p->rec.l4_proto;
	void *l4;

	if (proto == IPPROTO_TCP)
		p->l4_class = XW_L4_TCP;
	else if (proto == IPPROTO_UDP)
		p->l4_class = XW_L4_UDP;
	else if (proto == IPPROTO_ICMP)
		p->l4_class = XW_L4_ICMP;
	else if (proto == XW_IPPROTO_ICMPV6)
		p->l4_class = XW_L4_ICMPV6;
	else
		return 0;
	if (p->rec.frag & XW_FRAG_LATER) {
		p->l4_class = XW_L4_OTHER; /* counted as a fragment, not as L4 */
		return 0;
	}
	if (off > XW_MAX_HDR_OFF)
		return l4_trunc_event(p->l4_class);
	l4 = data + off;

	switch (p->l4_class) {
	case XW_L4_TCP: {
		struct tcphdr *tcp = l4;
		__u32 hlen;

		if ((void *)(tcp + 1) > end)
			return XW_EV_TCP_TRUNC;
		if (tcp->doff < 5)
			return XW_EV_TCP_BAD_DOFF;
		hlen = tcp->doff * 4;
		if ((void *)tcp + hlen > end)
			return XW_EV_TCP_TRUNC;
		p->rec.sport = bpf_ntohs(tcp->source);
		p->rec.dport = bpf_ntohs(tcp->dest);
		p->rec.tcp_flags = ((__u8 *)tcp)[13];
		p->rec.tcp_window = bpf_ntohs(tcp->window);
		off += hlen;
		break;
	}
	case XW_L4_UDP: {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > end)
			return XW_EV_UDP_TRUNC;
		p->rec.sport = bpf_ntohs(udp->source);
		p->rec.dport = bpf_ntohs(udp->dest);
		off += sizeof(*udp);
		break;
	}
	default: {
		/* ICMP and ICMPv6 share type, code, checksum. */
		__u8 *icmp = l4;

		if ((void *)(icmp + 4) > end)
			return l4_trunc_event(p->l4_class);
		p->rec.sport = icmp[0];
		p->rec.dport = icmp[1];
		off += p->l4_class == XW_L4_ICMP ? 8 : 4;
		break;
	}
	}
	p->rec.flags |= XW_REC_L4_VALID;
	p->next_off = off;
	return 0;
}

/*
 * L3 and L4 at off, of Ethernet type proto. Shared by the slow path
 * (xw_parse_ip, fast false) and the fast path (xw_parse_fast, fast true);
 * with fast a compile-time constant, each copy keeps only its own branch.
 * The fast copy returns XW_PARSE_SLOW where the slow one would walk IPv6
 * extension headers, before it has touched the record beyond the fixed
 * header.
 */
static __always_inline int ip_l4_parse(struct xdp_md *ctx, __u32 off,
				       __u32 proto, struct pkt *p, bool fast)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3_off = off;
	__u8 next;
	int err;

	if (proto == bpf_htons(XW_ETH_P_IP)) {
		err = ipv4_parse(data, end, &off, p);
	} else if (proto == bpf_htons(XW_ETH_P_IPV6)) {
		err = ipv6_parse(data, end, &off, p, &next);
		if (!err && ipv6_is_ext(next)) {
			if (fast)
				return XW_PARSE_SLOW;
			err = ipv6_ext_walk(ctx, &off, p, next);
		} else if (!err) {
			p->rec.l4_proto = next; /* what the walk would find */
		}
	} else {
		return 0; /* not IP: counted as such, not an error */
	}
	if (err || !p->ipver)
		return err;
	p->next_off = off; /* L3 end: where GRE and IP-in-IP payloads start */
	err = l4_parse(data, end, off, p);
	if (!err && (p->rec.flags & XW_REC_L4_VALID)) {
		__u32 hdrs = p->next_off - l3_off;

		p->rec.l4_payload_len =
			p->rec.ip_len > hdrs ? p->rec.ip_len - hdrs : 0;
	}
	return err;
}

/* L3 and L4 at off, for the outer and, once more, the inner headers. */
__noinline int xw_parse_ip(struct xdp_md *ctx, __u32 off, __u32 proto,
			   struct pkt *p)
{
	if (!p)
		return 0;
	return ip_l4_parse(ctx, off, proto, p, false);
}

/* Whether tunnel_open() has anything to look at behind these headers. */
static __always_inline bool tunnel_maybe(const struct pkt *p)
{
	__u8 l4 = p->rec.l4_proto;

	if (p->rec.frag & XW_FRAG_LATER)
		return false; /* a later fragment carries no header to look into */
	if (l4 == IPPROTO_IPIP || l4 == IPPROTO_IPV6 || l4 == IPPROTO_GRE)
		return true;
	return l4 == IPPROTO_UDP && (p->rec.flags & XW_REC_L4_VALID) &&
	       (p->rec.dport == XW_VXLAN_PORT ||
		p->rec.dport == XW_GENEVE_PORT);
}

/*
 * Recognise a tunnel in good outer headers and step over its encapsulation,
 * which starts at p->next_off (after L3 for GRE and IP-in-IP, after the UDP
 * header for VXLAN and Geneve). Returns 0 or an event code. On 0,
 * p->rec.tunnel says whether inner headers follow at *off, of type *proto,
 * behind Ethernet when *has_eth.
 */
static __always_inline int tunnel_open(void *data, void *end, __u32 *off,
				       struct pkt *p, __be16 *proto,
				       bool *has_eth)
{
	__u8 l4 = p->rec.l4_proto;
	void *hdr;

	if (!tunnel_maybe(p))
		return 0;
	*off = p->next_off;
	if (l4 == IPPROTO_IPIP || l4 == IPPROTO_IPV6) {
		*proto = bpf_htons(l4 == IPPROTO_IPIP ? XW_ETH_P_IP :
							XW_ETH_P_IPV6);
		p->rec.tunnel = XW_TUN_IPIP;
		return 0;
	}
	/* GRE, or UDP to the VXLAN or Geneve port. */
	if (*off > XW_MAX_HDR_OFF)
		return XW_EV_TUNNEL_TRUNC;
	hdr = data + *off;

	if (l4 == IPPROTO_GRE) {
		struct xw_gre_hdr *gre = hdr;
		__u16 flags;
		__u32 len = sizeof(*gre);

		if ((void *)(gre + 1) > end)
			return XW_EV_TUNNEL_TRUNC;
		flags = bpf_ntohs(gre->flags);
		if (flags & (XW_GRE_VERSION | XW_GRE_ROUTING))
			return XW_EV_TUNNEL_UNSUPPORTED; /* PPTP, source routes */
		len += flags & XW_GRE_CSUM ? 4 : 0;
		len += flags & XW_GRE_KEY ? 4 : 0;
		len += flags & XW_GRE_SEQ ? 4 : 0;
		*off += len;
		*proto = gre->proto;
		*has_eth = gre->proto == bpf_htons(XW_ETH_P_TEB);
		p->rec.tunnel = XW_TUN_GRE;
	} else if (p->rec.dport == XW_VXLAN_PORT) {
		struct xw_vxlan_hdr *vx = hdr;

		if ((void *)(vx + 1) > end)
			return XW_EV_TUNNEL_TRUNC;
		*off += sizeof(*vx);
		*has_eth = true;
		p->rec.tunnel = XW_TUN_VXLAN;
	} else {
		struct xw_geneve_hdr *gn = hdr;

		if ((void *)(gn + 1) > end)
			return XW_EV_TUNNEL_TRUNC;
		*off += sizeof(*gn) + (gn->opt_len & 0x3F) * 4;
		*proto = gn->proto;
		*has_eth = gn->proto == bpf_htons(XW_ETH_P_TEB);
		p->rec.tunnel = XW_TUN_GENEVE;
	}
	return 0;
}

/*
 * The slow path. Parse one frame into *p, which is zeroed but for
 * rec.pkt_len. Returns 0 or the event code of the first error; *p then
 * holds the innermost headers whose L3 parsed.
 */
__noinline int xw_parse(struct xdp_md *ctx, struct pkt *p, struct pkt *inner)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	bool has_eth = false;
	__be16 proto = 0;
	__u32 off = 0;
	int err;

	if (!p || !inner)
		return 0;
	err = eth_parse(data, end, &off, &proto, p, true);
	if (err)
		return err;
	err = xw_parse_ip(ctx, off, proto, p);
	if (err || !p->ipver)
		return err;

	err = tunnel_open(data, end, &off, p, &proto, &has_eth);
	if (err || p->rec.tunnel == XW_TUN_NONE)
		return err;

	__builtin_memset(inner, 0, sizeof(*inner));
	inner->rec.vlan_id = p->rec.vlan_id;
	inner->rec.vlan_count = p->rec.vlan_count;
	inner->rec.tunnel = p->rec.tunnel;
	inner->rec.pkt_len = p->rec.pkt_len;
	if (has_eth)
		err = eth_parse(data, end, &off, &proto, inner, false);
	if (!err)
		err = xw_parse_ip(ctx, off, proto, inner);
	if (inner->ipver) {
		/* Inner L3 good: rules match the inner source even if L4 is cut. */
		__builtin_memcpy(p, inner, sizeof(*p));
		return err;
	}
	/* Inner frame cut or not IP: keep matching on the outer headers. */
	p->rec.tunnel = XW_TUN_NONE;
	return err;
}

/*
 * The fast path, inlined into the program: the same steps as xw_parse() for
 * a frame that has no IPv6 extension header and no tunnel to open, which is
 * all xw_parse() would do for it, so *p, the return value and every counter
 * come out the same. Anything else returns XW_PARSE_SLOW, with *p partly
 * written: zero it again and call xw_parse(). It spares the common frame two
 * BPF-to-BPF calls; the verifier sees one pass of L3/L4 here, the tunnel's
 * second pass stays in the global functions.
 */
static __always_inline int xw_parse_fast(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be16 proto = 0;
	__u32 off = 0;
	int err;

	err = eth_parse(data, end, &off, &proto, p, true);
	if (err)
		return err;
	err = ip_l4_parse(ctx, off, proto, p, true);
	if (err || !p->ipver)
		return err;
	return tunnel_maybe(p) ? XW_PARSE_SLOW : 0;
}

#endif /* XDPWATCH_PARSE_H */
