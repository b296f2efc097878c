/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * feature_decode.h - xdpwatch.v1.FeatureBatch (proto/xdpwatch/v1/
 * features.proto) decoded straight from the wire, without allocating.
 *
 * protobuf-c's unpack allocates every record and every field of it and
 * walks the descriptor per field; the detector must decode and aggregate
 * millions of records a second per core. This decoder reads the protobuf
 * wire format by hand into one flat struct per record, on the stack, and
 * hands each to a callback.
 *
 *   xw_fb_decode(buf, len, &h, fn, ctx)
 *       scan the batch's top level into h (its own fields, counters and
 *       losses, wherever they appear: protobuf allows any order), then
 *       decode the records in order and call fn(ctx, &h, &rec) for each.
 *       Returns 0; -EBADMSG on malformed input; or fn's negative return,
 *       which stops the decode. A batch that fails the top-level scan
 *       calls fn for nothing. A malformed record is found only when its
 *       turn comes: fn has then seen the records before it (checking all
 *       records first would cost a second pass over every record).
 *       fn may be NULL: the records are then decoded and checked only.
 *   xw_fb_peek_header(buf, len, &h)
 *       the top-level scan alone (records are counted and their lengths
 *       checked, not decoded): 0 or -EBADMSG.
 *
 * -EBADMSG: a truncated varint or length, a length past the end, a wrong
 * wire type for a known field, a varint over 10 bytes or over 64 bits, an
 * address of other than 0, 4 or 16 bytes (or src and dst of different
 * lengths, or an ip_version of 4 or 6 beside addresses of the other
 * family), a value out of range for the field it goes into (uint32 fields
 * over 2^32-1, the uint8 and uint16 fields of struct xw_fb_record over
 * theirs), field number 0, an end-group tag without its start, or groups
 * nested over XW_FB_MAX_DEPTH. Unknown fields of every wire type (varint,
 * fixed64, length-delimited, group, fixed32) are skipped, in the batch and
 * in every message inside it.
 *
 * Strings (host_id, collector_id) point into buf and are not
 * NUL-terminated; h is valid while buf is. Its contents are undefined
 * after an error.
 */
#ifndef XW_FEATURE_DECODE_H
#define XW_FEATURE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Groups within groups (unknown fields only) deeper than this: -EBADMSG. */
#define XW_FB_MAX_DEPTH 32

/* The l4 index of xw_fb_header's counters, from TrafficCounter.l4. */
enum xw_fb_l4 {
	XW_FB_L4_TCP = 0,
	XW_FB_L4_UDP,
	XW_FB_L4_ICMP,
	XW_FB_L4_ICMPV6,
	XW_FB_L4_OTHER,
	XW_FB_L4_COUNT
};

/* The ip version index of xw_fb_header's counters: 0 none, 1 v4, 2 v6. */
#define XW_FB_IPVER_COUNT 3
#define XW_FB_ACTION_COUNT 4

/* One FeatureRecord, decoded flat; absent fields are 0. */
struct xw_fb_record {
	uint64_t ts_offset_ns; /* after xw_fb_header.time_base_unix_ns */
	uint8_t src[16], dst[16]; /* network order; first 4 bytes for IPv4 */
	/* 4, 6 or 0; derived from the address length when the field is
	 * absent (4 bytes -> 4, 16 -> 6). A value the collector never sends
	 * (e.g. 5) is passed on as it came: check before relying on it. */
	uint8_t ip_version;
	/* action and tunnel are open enums: a newer collector may send a
	 * value this build does not name (action > 3). */
	uint8_t l4_proto, tcp_flags, ttl, frag, action, tunnel, vlan_count;
	uint16_t sport, dport;
	uint32_t ip_len, l4_payload_len, pkt_len, ifindex, tcp_window, rule_id,
		tos, vlan_id, rx_queue;
	uint32_t sample_rate; /* the record's, or the batch's when 0/absent */
	bool parse_error;
};

struct xw_fb_header {
	uint32_t schema_version;
	const char *host_id; /* points into the buffer, not NUL-terminated */
	size_t host_id_len;
	const char *collector_id;
	size_t collector_id_len;
	uint64_t sequence, time_base_unix_ns;
	uint32_t sample_rate;
	uint32_t nrecords;
	bool has_counters; /* at least one InterfaceCounters present */
	/*
	 * Exact traffic counters summed over interfaces (cumulative, as the
	 * collector sends them): [ipver 0:none 1:v4 2:v6]
	 * [l4: enum xw_fb_l4][action 0..3].
	 */
	uint64_t pkts[XW_FB_IPVER_COUNT][XW_FB_L4_COUNT][XW_FB_ACTION_COUNT];
	uint64_t bytes[XW_FB_IPVER_COUNT][XW_FB_L4_COUNT][XW_FB_ACTION_COUNT];
	/*
	 * TrafficCounters that fit no slot above (an ip_version other than
	 * 0/4/6, an l4 class or action this build does not know), left out
	 * of the sums: a newer collector's counters must not make the whole
	 * batch unreadable, nor vanish without a trace.
	 */
	uint32_t counters_skipped;
	bool has_losses;
	/* From CollectorLosses, cumulative since the collector started. */
	uint64_t records_lost_queue_full, records_delivery_failed,
		records_ringbuf_full, records_produced;
};

typedef int (*xw_fb_record_fn)(void *ctx, const struct xw_fb_header *h,
			       const struct xw_fb_record *r);

/**
 * xw_fb_decode() - decode a FeatureBatch and call @fn for each record.
 * @buf: the packed batch (a Kafka message's value)
 * @len: its length
 * @h:   filled from the batch's top-level fields before any record
 * @fn:  called for each record in order; a negative return stops (may be
 *       NULL: records are then only checked)
 * @ctx: passed to @fn
 *
 * Return: 0, -EBADMSG on malformed input, or @fn's negative return.
 */
int xw_fb_decode(const void *buf, size_t len, struct xw_fb_header *h,
		 xw_fb_record_fn fn, void *ctx);

/**
 * xw_fb_peek_header() - the top-level fields of a FeatureBatch only.
 *
 * Return: 0 or -EBADMSG.
 */
int xw_fb_peek_header(const void *buf, size_t len, struct xw_fb_header *h);

#endif /* XW_FEATURE_DECODE_H */
