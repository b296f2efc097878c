// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* classify.c - records into packet classes, windows into attacks. */
#include <math.h>
#include <netinet/in.h>

#include "classify.h"
#include "xdpwatch_shared.h" /* XW_FRAG_*: the record's frag bits */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

void xw_record_class(const struct xw_fb_record *r, float weight,
		     struct xw_rec_class *rc)
{
	rc->weight = weight;
	rc->bytes = weight * (float)(r->ip_len ? r->ip_len : r->pkt_len);
	rc->has_ports = false;
	/* Later fragments carry no L4 header: a class of their own. So do
	 * first fragments, except replies from a reflector port: large DNS
	 * or memcached replies fragment, and are still reflection. */
	if (r->frag & XW_FRAG_LATER) {
		rc->metric = XW_M_FRAG;
		return;
	}
	if ((r->frag & XW_FRAG_MF) && r->l4_proto == IPPROTO_UDP) {
		rc->metric = XW_M_FRAG;
		for (unsigned int i = 0; i < XW_REFL_COUNT; i++)
			if (r->sport == xw_refl_services[i].port)
				rc->metric = XW_M_REFL + i;
		return;
	}
	switch (r->l4_proto) {
	case IPPROTO_TCP:
		rc->has_ports = true;
		if ((r->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			rc->metric = XW_M_SYN;
		else if (r->tcp_flags & TCP_RST)
			rc->metric = XW_M_RST;
		else if ((r->tcp_flags & (TCP_ACK | TCP_SYN | TCP_FIN)) == TCP_ACK &&
			 !r->l4_payload_len)
			rc->metric = XW_M_ACK;
		else
			rc->metric = XW_M_TCP_OTHER;
		return;
	case IPPROTO_UDP:
		rc->has_ports = true;
		rc->metric = XW_M_UDP;
		for (unsigned int i = 0; i < XW_REFL_COUNT; i++)
			if (r->sport == xw_refl_services[i].port) {
				rc->metric = XW_M_REFL + i;
				break;
			}
		return;
	case IPPROTO_ICMP:
		rc->metric = XW_M_ICMP;
		return;
	case IPPROTO_ICMPV6:
		rc->metric = XW_M_ICMP6;
		return;
	default:
		rc->metric = XW_M_PKTS; /* counted in the total only */
	}
}

static double learned_threshold(const struct xw_ewma *e,
				const struct xw_learn_opts *lo)
{
	double band = xw_ewma_band(e, lo->k), scaled = lo->factor * e->mean;

	return band > scaled ? band : scaled;
}

unsigned int xw_classify(const struct xw_window *w,
			 const struct xw_thresholds *th,
			 const struct xw_ewma *base,
			 const struct xw_learn_opts *lo,
			 struct xw_class_eval out[XW_ATTACK_COUNT])
{
	double small_replies = 0;
	unsigned int n = 0;

	/* Replies from a reflector port too small for amplification are
	 * not reflection; they still count as UDP, or a flood from port 53
	 * would escape both classes. */
	for (unsigned int i = 0; i < XW_REFL_COUNT; i++) {
		double pkts = w->m[XW_M_REFL + i];

		if (pkts > 0 && w->m[XW_M_REFL_BYTES + i] / pkts <
					xw_refl_services[i].min_avg_bytes)
			small_replies += pkts;
	}
	for (int c = 0; c < XW_ATTACK_COUNT; c++) {
		struct xw_class_eval *e = &out[c];
		enum xw_metric m = xw_class_metric(c);

		e->over = false;
		e->learned = false;
		e->rate = w->m[m];
		if (c == XW_ATTACK_UDP_FLOOD)
			e->rate += small_replies;
		e->threshold = th->pps[c];
		if (c == XW_ATTACK_UNKNOWN || c == XW_ATTACK_CARPET_BOMBING ||
		    e->threshold <= 0)
			continue;
		if (th->learn && base && xw_ewma_warm(&base[m], lo->warm_slots)) {
			double lt = learned_threshold(&base[m], lo);

			if (lt > e->threshold) {
				e->threshold = lt;
				e->learned = true;
			}
		}
		e->over = e->rate > e->threshold;
		if (c == XW_ATTACK_UDP_FLOOD && th->udp_bps > 0 &&
		    w->m[XW_M_UDP_BYTES] * 8 > th->udp_bps && !e->learned)
			e->over = true;
		if (e->over && m >= XW_M_REFL && m < XW_M_REFL_BYTES) {
			double avg = w->m[m + XW_REFL_COUNT] / e->rate;

			e->over = avg >= xw_refl_services[m - XW_M_REFL].min_avg_bytes;
		}
		n += e->over;
	}
	return n;
}

bool xw_spoofed(const struct xw_dst_sketch *s, const struct xw_learn_opts *lo)
{
	struct xw_topk_entry top[XW_SKETCH_K];
	unsigned int n = xw_topk_top(&s->srcs, top, XW_SKETCH_K);
	double sum = 0;

	if (s->distinct_srcs < lo->spoof_sources || s->srcs.total <= 0)
		return false;
	/* What the top sources surely carried (count - err): Space-Saving's
	 * counts always add up to the total, so with every counter taken by
	 * a random source the counts alone say the top 8 carry it all. */
	for (unsigned int i = 0; i < n; i++)
		sum += top[i].count - top[i].err;
	return sum / s->srcs.total < lo->top_share;
}
