// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* feature_decode.c - see feature_decode.h. */
#include <errno.h>
#include <string.h>

#include "feature_decode.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Protobuf wire types. */
enum {
	WT_VARINT = 0,
	WT_I64 = 1,
	WT_LEN = 2,
	WT_SGROUP = 3,
	WT_EGROUP = 4,
	WT_I32 = 5,
};

#define TAG(field, wt) ((uint32_t)(field) << 3 | (wt))

/* FeatureBatch fields. */
enum {
	FB_SCHEMA_VERSION = 1,
	FB_HOST_ID,
	FB_COLLECTOR_ID,
	FB_SEQUENCE,
	FB_TIME_BASE,
	FB_SAMPLE_RATE,
	FB_RECORDS,
	FB_INTERFACES,
	FB_COUNTERS,
	FB_LOSSES,
	FB_NFIELDS = FB_LOSSES
};

/* FeatureRecord has fields 1..24 (features.proto). */
#define REC_NFIELDS 24

/* ---- wire primitives: each returns the position after what it read, or
 * NULL when the input is malformed ---- */

static const uint8_t *varint_slow(const uint8_t *p, const uint8_t *end,
				  uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned int i = 0; i < 10; i++) {
		uint8_t b;

		if (p >= end)
			return NULL;
		b = *p++;
		/* The tenth byte holds bit 63 only: more is over 64 bits,
		 * a continuation is an eleventh byte. */
		if (i == 9 && b > 1)
			return NULL;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return p;
		}
	}
	return NULL;
}

/* Most varints of a record are one or two bytes (ports, lengths): keep
 * those inline, without a loop. */
static inline const uint8_t *varint(const uint8_t *p, const uint8_t *end,
				    uint64_t *v)
{
	if (likely(p < end && *p < 0x80)) {
		*v = *p;
		return p + 1;
	}
	if (likely(end - p >= 2 && p[1] < 0x80)) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		return p + 2;
	}
	return varint_slow(p, end, v);
}

static inline const uint8_t *tag_read(const uint8_t *p, const uint8_t *end,
				      uint32_t *tag)
{
	uint64_t t;

	p = varint(p, end, &t);
	if (!p || t > UINT32_MAX || (t >> 3) == 0)
		return NULL;
	*tag = (uint32_t)t;
	return p;
}

/* A length-delimited field's body: *d, *n. */
static inline const uint8_t *len_read(const uint8_t *p, const uint8_t *end,
				      const uint8_t **d, size_t *n)
{
	uint64_t l;

	p = varint(p, end, &l);
	if (!p || l > (uint64_t)(end - p))
		return NULL;
	*d = p;
	*n = (size_t)l;
	return p + l;
}

/* Skip a field whose tag was just read (unknown, or not needed now). */
static const uint8_t *skip(const uint8_t *p, const uint8_t *end,
			   uint32_t tag, int depth)
{
	const uint8_t *d;
	uint64_t v;
	size_t n;

	switch (tag & 7) {
	case WT_VARINT:
		return varint(p, end, &v);
	case WT_I64:
		return end - p >= 8 ? p + 8 : NULL;
	case WT_LEN:
		return len_read(p, end, &d, &n);
	case WT_I32:
		return end - p >= 4 ? p + 4 : NULL;
	case WT_SGROUP:
		/* Fields up to the end-group tag of the same number. */
		if (depth >= XW_FB_MAX_DEPTH)
			return NULL;
		for (;;) {
			uint32_t t;

			p = tag_read(p, end, &t);
			if (!p)
				return NULL;
			if ((t & 7) == WT_EGROUP)
				return (t >> 3) == (tag >> 3) ? p : NULL;
			p = skip(p, end, t, depth + 1);
			if (!p)
				return NULL;
		}
	default: /* an end group without its start; wire types 6 and 7 */
		return NULL;
	}
}

/*
 * The next field of a message whose known fields are 1..nknown with the
 * wire types wts[1..nknown]; unknown fields are skipped. Returns 1 with
 * the field in *num and its value in *v (varint) or *d, *n (length-
 * delimited), 0 at the end, -EBADMSG. For the batch's top level and the
 * small messages inside it; records have their own loop (record_decode).
 */
static int field_next(const uint8_t **pp, const uint8_t *end,
		      const uint8_t *wts, uint32_t nknown, uint32_t *num,
		      uint64_t *v, const uint8_t **d, size_t *n)
{
	const uint8_t *p = *pp;

	while (p < end) {
		uint32_t tag, f;

		p = tag_read(p, end, &tag);
		if (!p)
			return -EBADMSG;
		f = tag >> 3;
		if (f > nknown) {
			p = skip(p, end, tag, 0);
			if (!p)
				return -EBADMSG;
			continue;
		}
		if ((tag & 7) != wts[f])
			return -EBADMSG;
		if (wts[f] == WT_VARINT)
			p = varint(p, end, v);
		else
			p = len_read(p, end, d, n);
		if (!p)
			return -EBADMSG;
		*num = f;
		*pp = p;
		return 1;
	}
	*pp = p;
	return 0;
}

/* ---- the messages inside a batch ---- */

/* Interface: ifindex (uint32), ifname. Checked, not kept. */
static int interface_check(const uint8_t *p, const uint8_t *end)
{
	static const uint8_t wts[] = { 0, WT_VARINT, WT_LEN };
	const uint8_t *d;
	uint32_t f;
	uint64_t v;
	size_t n;
	int ret;

	while ((ret = field_next(&p, end, wts, 2, &f, &v, &d, &n)) > 0)
		if (f == 1 && v > UINT32_MAX)
			return -EBADMSG;
	return ret;
}

/* EventCounter: name, count (uint64). Checked, not kept. */
static int event_check(const uint8_t *p, const uint8_t *end)
{
	static const uint8_t wts[] = { 0, WT_LEN, WT_VARINT };
	const uint8_t *d;
	uint32_t f;
	uint64_t v;
	size_t n;
	int ret;

	while ((ret = field_next(&p, end, wts, 2, &f, &v, &d, &n)) > 0)
		;
	return ret;
}

static int l4_index(const uint8_t *s, size_t n)
{
	static const char *const names[XW_FB_L4_COUNT] = {
		[XW_FB_L4_TCP] = "tcp",	      [XW_FB_L4_UDP] = "udp",
		[XW_FB_L4_ICMP] = "icmp",     [XW_FB_L4_ICMPV6] = "icmpv6",
		[XW_FB_L4_OTHER] = "other",
	};

	for (int i = 0; i < XW_FB_L4_COUNT; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return i;
	return -1;
}

/* An enum (int32 on the wire, negative values sign-extended to 64 bits). */
static bool int32_ok(uint64_t v)
{
	return v <= INT32_MAX || v >= (uint64_t)(int64_t)INT32_MIN;
}

/* TrafficCounter: added to h's sums, or counted as skipped. */
static int traffic_add(const uint8_t *p, const uint8_t *end,
		       struct xw_fb_header *h)
{
	static const uint8_t wts[] = { 0, WT_VARINT, WT_LEN, WT_VARINT,
				       WT_VARINT, WT_VARINT };
	uint64_t v, ipver = 0, action = 0, pkts = 0, bytes = 0;
	const uint8_t *d, *l4 = NULL;
	size_t n, l4_len = 0;
	int ret, ipx, l4x;
	uint32_t f;

	while ((ret = field_next(&p, end, wts, 5, &f, &v, &d, &n)) > 0) {
		switch (f) {
		case 1: /* ip_version, uint32 */
			if (v > UINT32_MAX)
				return -EBADMSG;
			ipver = v;
			break;
		case 2: /* l4 */
			l4 = d;
			l4_len = n;
			break;
		case 3: /* action */
			if (!int32_ok(v))
				return -EBADMSG;
			action = v;
			break;
		case 4:
			pkts = v;
			break;
		case 5:
			bytes = v;
			break;
		}
	}
	if (ret)
		return ret;
	ipx = ipver == 0 ? 0 : ipver == 4 ? 1 : ipver == 6 ? 2 : -1;
	l4x = l4_index(l4, l4_len); /* proto3: an absent l4 is "" */
	if (ipx < 0 || l4x < 0 || action >= XW_FB_ACTION_COUNT) {
		h->counters_skipped++;
		return 0;
	}
	h->pkts[ipx][l4x][action] += pkts;
	h->bytes[ipx][l4x][action] += bytes;
	return 0;
}

/* InterfaceCounters: ifindex, ifname, traffic, events. */
static int counters_add(const uint8_t *p, const uint8_t *end,
			struct xw_fb_header *h)
{
	static const uint8_t wts[] = { 0, WT_VARINT, WT_LEN, WT_LEN, WT_LEN };
	const uint8_t *d;
	uint32_t f;
	uint64_t v;
	size_t n;
	int ret;

	while ((ret = field_next(&p, end, wts, 4, &f, &v, &d, &n)) > 0) {
		if (f == 1 && v > UINT32_MAX)
			return -EBADMSG;
		if (f == 3)
			ret = traffic_add(d, d + n, h);
		else if (f == 4)
			ret = event_check(d, d + n);
		if (ret < 0)
			return ret;
	}
	return ret;
}

/* CollectorLosses: seven uint64; the four the header names are kept. A
 * second occurrence merges into the first, field by field, as protobuf
 * merges a repeated singular message. */
static int losses_read(const uint8_t *p, const uint8_t *end,
		       struct xw_fb_header *h)
{
	static const uint8_t wts[] = { 0, WT_VARINT, WT_VARINT, WT_VARINT,
				       WT_VARINT, WT_VARINT, WT_VARINT,
				       WT_VARINT };
	const uint8_t *d;
	uint32_t f;
	uint64_t v;
	size_t n;
	int ret;

	while ((ret = field_next(&p, end, wts, 7, &f, &v, &d, &n)) > 0) {
		switch (f) {
		case 1:
			h->records_lost_queue_full = v;
			break;
		case 3:
			h->records_delivery_failed = v;
			break;
		case 5:
			h->records_ringbuf_full = v;
			break;
		case 7:
			h->records_produced = v;
			break;
		}
	}
	return ret;
}

static const uint8_t fb_wts[FB_NFIELDS + 1] = {
	[FB_SCHEMA_VERSION] = WT_VARINT, [FB_HOST_ID] = WT_LEN,
	[FB_COLLECTOR_ID] = WT_LEN,	 [FB_SEQUENCE] = WT_VARINT,
	[FB_TIME_BASE] = WT_VARINT,	 [FB_SAMPLE_RATE] = WT_VARINT,
	[FB_RECORDS] = WT_LEN,		 [FB_INTERFACES] = WT_LEN,
	[FB_COUNTERS] = WT_LEN,		 [FB_LOSSES] = WT_LEN,
};

/* The top level: every field but the records' contents. */
static int header_scan(const uint8_t *p, const uint8_t *end,
		       struct xw_fb_header *h)
{
	const uint8_t *d;
	uint32_t f;
	uint64_t v;
	size_t n;
	int ret;

	memset(h, 0, sizeof(*h));
	for (;;) {
		/* Nearly every field is a record: step over those inline,
		 * without field_next's call and table (a sixth of the
		 * decode went to this scan). */
		while (p < end && *p == TAG(FB_RECORDS, WT_LEN)) {
			p = len_read(p + 1, end, &d, &n);
			if (!p || h->nrecords == UINT32_MAX)
				return -EBADMSG;
			h->nrecords++;
		}
		ret = field_next(&p, end, fb_wts, FB_NFIELDS, &f, &v, &d, &n);
		if (ret <= 0)
			break;
		switch (f) {
		case FB_SCHEMA_VERSION:
		case FB_SAMPLE_RATE:
			if (v > UINT32_MAX)
				return -EBADMSG;
			if (f == FB_SCHEMA_VERSION)
				h->schema_version = (uint32_t)v;
			else
				h->sample_rate = (uint32_t)v;
			break;
		case FB_HOST_ID:
			h->host_id = (const char *)d;
			h->host_id_len = n;
			break;
		case FB_COLLECTOR_ID:
			h->collector_id = (const char *)d;
			h->collector_id_len = n;
			break;
		case FB_SEQUENCE:
			h->sequence = v;
			break;
		case FB_TIME_BASE:
			h->time_base_unix_ns = v;
			break;
		case FB_RECORDS:
			if (h->nrecords == UINT32_MAX)
				return -EBADMSG;
			h->nrecords++;
			break;
		case FB_INTERFACES:
			ret = interface_check(d, d + n);
			break;
		case FB_COUNTERS:
			h->has_counters = true;
			ret = counters_add(d, d + n, h);
			break;
		case FB_LOSSES:
			h->has_losses = true;
			ret = losses_read(d, d + n, h);
			break;
		}
		if (ret < 0)
			return ret;
	}
	return ret;
}

int xw_fb_peek_header(const void *buf, size_t len, struct xw_fb_header *h)
{
	const uint8_t *p = buf;

	return header_scan(p, p + len, h);
}

/* ---- records: the hot path ---- */

/* A varint field of a record into member, at most max. */
#define REC_UINT(field, member, max)                                      \
	case TAG(field, WT_VARINT):                                       \
		p = varint(p, end, &v);                                   \
		if (unlikely(!p || v > (max)))                            \
			return -EBADMSG;                                  \
		r->member = (__typeof__(r->member))v;                     \
		break

/* An address: 0, 4 or 16 bytes; a repeated field's last value wins. */
#define REC_ADDR(field, member, lenvar)                                   \
	case TAG(field, WT_LEN):                                          \
		p = len_read(p, end, &d, &n);                             \
		if (unlikely(!p || (n != 0 && n != 4 && n != 16)))        \
			return -EBADMSG;                                  \
		addr_copy(r->member, d, n);                               \
		lenvar = n;                                               \
		break

/* Fixed-size copies, not a memcpy call of a variable length. */
static inline void addr_copy(uint8_t dst[16], const uint8_t *d, size_t n)
{
	memset(dst, 0, 16);
	if (n == 4)
		memcpy(dst, d, 4);
	else if (n == 16)
		memcpy(dst, d, 16);
}

/*
 * The fast path's steps: field `field` if it is next. Tags of fields
 * 1-15 are one byte, of 16-24 two (low 7 bits with the continuation bit,
 * then the rest).
 */
#define TAG_IS(field, wt)                                                 \
	(TAG(field, wt) < 0x80 ?                                          \
		 (p < end && *p == TAG(field, wt)) :                      \
		 (end - p >= 2 && p[0] == ((TAG(field, wt) & 0x7f) | 0x80) && \
		  p[1] == TAG(field, wt) >> 7))
#define TAG_LEN(field) (TAG(field, 0) < 0x80 ? 1 : 2)

#define FAST_UINT(field, member, max)                                     \
	if (TAG_IS(field, WT_VARINT)) {                                   \
		p = varint(p + TAG_LEN(field), end, &v);                  \
		if (unlikely(!p || v > (max)))                            \
			return -EBADMSG;                                  \
		r->member = (__typeof__(r->member))v;                     \
	}

#define FAST_ADDR(field, member, lenvar)                                  \
	if (TAG_IS(field, WT_LEN)) {                                      \
		p = len_read(p + 1, end, &d, &n);                         \
		if (unlikely(!p || (n != 0 && n != 4 && n != 16)))        \
			return -EBADMSG;                                  \
		addr_copy(r->member, d, n);                               \
		lenvar = n;                                               \
	}

static const struct xw_fb_record zero_record;

static int record_decode(const uint8_t *p, const uint8_t *end,
			 const struct xw_fb_header *h, struct xw_fb_record *r)
{
	size_t n, slen = 0, dlen = 0, alen;
	const uint8_t *d;
	uint64_t v;

	/* A copy, not memset: GCC made the memset a `rep stos`, whose start-up
	 * cost about a sixth of a record's decode. */
	*r = zero_record;
	/*
	 * The collector writes fields in number order, zeros left out
	 * (collector/batcher.c). Expecting them in that order costs a
	 * conditional branch per field, which the CPU predicts well from
	 * the record's kind; the switch below costs an indirect jump per
	 * field, mispredicted whenever a field is missing, and was most of
	 * the decode's time. What this prefix does not take (another order,
	 * unknown fields, a repeat) the switch does, from where it stopped.
	 */
	if (TAG_IS(1, WT_VARINT)) {
		p = varint(p + 1, end, &r->ts_offset_ns);
		if (unlikely(!p))
			return -EBADMSG;
	}
	FAST_ADDR(2, src, slen)
	FAST_ADDR(3, dst, dlen)
	FAST_UINT(4, l4_proto, UINT8_MAX)
	FAST_UINT(5, sport, UINT16_MAX)
	FAST_UINT(6, dport, UINT16_MAX)
	FAST_UINT(7, tcp_flags, UINT8_MAX)
	FAST_UINT(8, ttl, UINT8_MAX)
	FAST_UINT(9, ip_len, UINT32_MAX)
	FAST_UINT(10, l4_payload_len, UINT32_MAX)
	FAST_UINT(11, pkt_len, UINT32_MAX)
	FAST_UINT(12, ifindex, UINT32_MAX)
	FAST_UINT(13, tcp_window, UINT32_MAX)
	FAST_UINT(14, action, UINT8_MAX)
	FAST_UINT(15, rule_id, UINT32_MAX)
	FAST_UINT(16, ip_version, UINT8_MAX)
	FAST_UINT(17, tos, UINT32_MAX)
	FAST_UINT(18, frag, UINT8_MAX)
	FAST_UINT(19, vlan_id, UINT32_MAX)
	FAST_UINT(20, vlan_count, UINT8_MAX)
	FAST_UINT(21, tunnel, UINT8_MAX)
	FAST_UINT(22, rx_queue, UINT32_MAX)
	FAST_UINT(23, sample_rate, UINT32_MAX)
	if (TAG_IS(24, WT_VARINT)) {
		p = varint(p + 2, end, &v);
		if (unlikely(!p))
			return -EBADMSG;
		r->parse_error = v != 0;
	}

	while (p < end) {
		uint32_t tag;

		/* Tags of fields 1-15 are one byte, 16-24 two. */
		if (likely(*p < 0x80)) {
			tag = *p++;
		} else {
			p = tag_read(p, end, &tag);
			if (!p)
				return -EBADMSG;
		}
		switch (tag) {
		case TAG(1, WT_VARINT):
			p = varint(p, end, &r->ts_offset_ns);
			if (unlikely(!p))
				return -EBADMSG;
			break;
		REC_ADDR(2, src, slen);
		REC_ADDR(3, dst, dlen);
		REC_UINT(4, l4_proto, UINT8_MAX);
		REC_UINT(5, sport, UINT16_MAX);
		REC_UINT(6, dport, UINT16_MAX);
		REC_UINT(7, tcp_flags, UINT8_MAX);
		REC_UINT(8, ttl, UINT8_MAX);
		REC_UINT(9, ip_len, UINT32_MAX);
		REC_UINT(10, l4_payload_len, UINT32_MAX);
		REC_UINT(11, pkt_len, UINT32_MAX);
		REC_UINT(12, ifindex, UINT32_MAX);
		REC_UINT(13, tcp_window, UINT32_MAX);
		REC_UINT(14, action, UINT8_MAX);
		REC_UINT(15, rule_id, UINT32_MAX);
		REC_UINT(16, ip_version, UINT8_MAX);
		REC_UINT(17, tos, UINT32_MAX);
		REC_UINT(18, frag, UINT8_MAX);
		REC_UINT(19, vlan_id, UINT32_MAX);
		REC_UINT(20, vlan_count, UINT8_MAX);
		REC_UINT(21, tunnel, UINT8_MAX);
		REC_UINT(22, rx_queue, UINT32_MAX);
		REC_UINT(23, sample_rate, UINT32_MAX);
		case TAG(24, WT_VARINT):
			p = varint(p, end, &v);
			if (unlikely(!p))
				return -EBADMSG;
			r->parse_error = v != 0;
			break;
		default:
			/* tag 0 was one byte: field 0 is malformed */
			if ((tag >> 3) <= REC_NFIELDS)
				return -EBADMSG; /* a known field's wrong type */
			p = skip(p, end, tag, 0);
			if (!p)
				return -EBADMSG;
		}
	}
	/* Both addresses come from the same IP header. */
	if (slen && dlen && slen != dlen)
		return -EBADMSG;
	alen = slen ? slen : dlen;
	if (!r->ip_version)
		r->ip_version = alen == 4 ? 4 : alen == 16 ? 6 : 0;
	else if ((r->ip_version == 4 && alen == 16) ||
		 (r->ip_version == 6 && alen == 4))
		return -EBADMSG;
	if (!r->sample_rate)
		r->sample_rate = h->sample_rate;
	return 0;
}

int xw_fb_decode(const void *buf, size_t len, struct xw_fb_header *h,
		 xw_fb_record_fn fn, void *ctx)
{
	const uint8_t *p = buf, *end = p + len;
	struct xw_fb_record r;
	int ret;

	/* First the whole top level: a record's sample rate may come after
	 * it, and nothing is delivered from a batch malformed up there. */
	ret = header_scan(p, end, h);
	if (ret)
		return ret;
	if (!h->nrecords)
		return 0;
	/* Then the records. The scan checked every tag and length of the
	 * top level, so this walk only looks for field 7. */
	while (p < end) {
		const uint8_t *d;
		uint32_t tag;
		size_t n;

		p = tag_read(p, end, &tag);
		if (p && tag != TAG(FB_RECORDS, WT_LEN))
			p = skip(p, end, tag, 0);
		else if (p)
			p = len_read(p, end, &d, &n);
		if (!p)
			return -EBADMSG; /* not after a clean scan */
		if (tag != TAG(FB_RECORDS, WT_LEN))
			continue;
		ret = record_decode(d, d + n, h, &r);
		if (ret)
			return ret;
		if (fn) {
			ret = fn(ctx, h, &r);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
