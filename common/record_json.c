// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* record_json.c - see record_json.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "record_json.h"

/* Any name up to 63 bytes (a config list item), every byte escaped. */
#define IFNAME_JSON_MAX (6 * 63 + 1)

int64_t xw_clock_offset_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL +
	       ((int64_t)rt.tv_nsec - bt.tv_nsec);
}

/*
 * Interface names are the one free text in a line, and the kernel refuses
 * only '/', ':' and blanks in them: escape '"', '\' and control bytes.
 * Returns -ENOSPC when the escaped name does not fit out.
 */
int xw_json_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		size_t need = c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;

		if (o + need >= len)
			return -ENOSPC;
		if (need == 1) {
			out[o] = (char)c;
		} else if (need == 2) {
			out[o] = '\\';
			out[o + 1] = (char)c;
		} else {
			snprintf(out + o, len - o, "\\u%04x", c);
		}
		o += need;
	}
	out[o] = '\0';
	return 0;
}

int xw_record_json(const struct xw_record *rec, int64_t offset_ns,
		   const char *ifname, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	int family = rec->ip_ver == 6 ? AF_INET6 : AF_INET;
	int64_t wall = (int64_t)rec->ts_ns + offset_ns;
	const char *proto = xw_ipproto_name(rec->l4_proto);
	bool icmp = rec->l4_proto == 1 || rec->l4_proto == 58;
	char l4[96], name[IFNAME_JSON_MAX] = "";
	int n;

	if (ifname && xw_json_escape(ifname, name, sizeof(name)))
		return -ENOSPC;

	if (rec->ip_ver) {
		inet_ntop(family, rec->saddr, src, sizeof(src));
		inet_ntop(family, rec->daddr, dst, sizeof(dst));
	}
	if (!(rec->flags & XW_REC_L4_VALID))
		l4[0] = '\0';
	else if (icmp)
		snprintf(l4, sizeof(l4), ",\"icmp_type\":%u,\"icmp_code\":%u",
			 rec->sport, rec->dport);
	else
		snprintf(l4, sizeof(l4),
			 ",\"sport\":%u,\"dport\":%u,\"tcp_flags\":%u,\"tcp_window\":%u",
			 rec->sport, rec->dport, rec->tcp_flags, rec->tcp_window);

	n = snprintf(buf, len,
		     "{\"ts_ns\":%lld,\"ifname\":\"%s\",\"ifindex\":%u,"
		     "\"rx_queue\":%u,\"ip_version\":%u,\"src\":\"%s\","
		     "\"dst\":\"%s\",\"l4_proto\":%u,\"l4_proto_name\":\"%s\"%s,"
		     "\"ttl\":%u,\"tos\":%u,\"ip_len\":%u,\"l4_payload_len\":%u,"
		     "\"pkt_len\":%u,\"frag\":%u,\"vlan_id\":%u,\"vlan_count\":%u,"
		     "\"tunnel\":\"%s\",\"action\":\"%s\",\"rule_id\":%u,"
		     "\"sample_rate\":%u,\"parse_error\":%s}\n",
		     (long long)wall, name, rec->ifindex,
		     rec->rx_queue, rec->ip_ver, src, dst, rec->l4_proto,
		     proto ? proto : "other", l4, rec->ttl, rec->tos, rec->ip_len,
		     rec->l4_payload_len, rec->pkt_len, rec->frag, rec->vlan_id,
		     rec->vlan_count, xw_tunnel_name(rec->tunnel),
		     xw_action_name(rec->action), rec->rule_id, rec->sample_rate,
		     rec->flags & XW_REC_PARSE_ERROR ? "true" : "false");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
