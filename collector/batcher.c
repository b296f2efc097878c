// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* batcher.c - see batcher.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "batcher.h"
#include "kafka.h"
#include "log.h"
#include "record_json.h"
#include "xdpwatch/v1/features.pb-c.h"

#define SCHEMA_NAME "xdpwatch.v1.FeatureBatch"
#define SCHEMA_VERSION 1
#define SCHEMA_VERSION_TEXT "1"

/* A record inside the batch: its tag (1 byte) and length (2 bytes, as
 * XW_PB_RECORD_MAX < 16384) before at most XW_PB_RECORD_MAX bytes. */
#define PB_RECORD_SLOT (XW_PB_RECORD_MAX + 3)
/* That tag: FeatureBatch.records is field 7, length-delimited. */
#define PB_RECORDS_TAG ((7 << 3) | 2)
/* FeatureRecord's fields, every one of which record_pack() writes. */
#define PB_RECORD_FIELDS 24

struct xw_batcher {
	struct xw_batcher_opts o;
	struct xw_producer *producer;
	char host_id[256];
	char collector_id[33];
	uint64_t sequence;

	struct xw_record *recs;
	uint32_t n;
	uint64_t first_ms; /* when the oldest record arrived, for linger */

	Xdpwatch__V1__Interface *ifaces;
	Xdpwatch__V1__Interface **iface_ptrs;
	size_t nifaces;

	Xdpwatch__V1__InterfaceCounters **counters; /* owned by the caller */
	size_t ncounters;
	size_t counters_bytes; /* their share of the packed batch */
	size_t head_bytes; /* the batch's own fields at their widest */
	uint64_t ringbuf_lost;
	Xdpwatch__V1__CollectorLosses losses;

	uint8_t *buf;
	size_t buf_cap;
	int64_t clock_offset_ns;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Packed size of a batch without records or counters, every number at its
 * widest: what max_bytes must leave room for besides the records. */
static size_t batch_head_bytes(const struct xw_batcher *b)
{
	Xdpwatch__V1__FeatureBatch batch = XDPWATCH__V1__FEATURE_BATCH__INIT;
	Xdpwatch__V1__CollectorLosses l = XDPWATCH__V1__COLLECTOR_LOSSES__INIT;

	l.records_lost_queue_full = l.batches_lost_queue_full = UINT64_MAX;
	l.records_delivery_failed = l.batches_delivery_failed = UINT64_MAX;
	l.records_ringbuf_full = l.batches_produced = UINT64_MAX;
	l.records_produced = UINT64_MAX;
	batch.schema_version = SCHEMA_VERSION;
	batch.host_id = (char *)b->host_id;
	batch.collector_id = (char *)b->collector_id;
	batch.sequence = UINT64_MAX;
	batch.time_base_unix_ns = UINT64_MAX;
	batch.sample_rate = b->o.sample_rate;
	batch.n_interfaces = b->nifaces;
	batch.interfaces = b->iface_ptrs;
	batch.losses = &l;
	return xdpwatch__v1__feature_batch__get_packed_size(&batch);
}

/* Would a batch of n records at their widest outgrow max_bytes? */
static bool over_max_bytes(const struct xw_batcher *b, uint64_t n)
{
	return b->head_bytes + b->counters_bytes + n * PB_RECORD_SLOT >
	       b->o.max_bytes;
}

int xw_batcher__new(struct xw_batcher **out, const struct xw_batcher_opts *o,
		    struct xw_producer *producer,
		    const struct xw_iface_name *ifaces, size_t nifaces)
{
	struct xw_batcher *b;
	uint8_t rnd[16];

	/* A field added to the schema and not to record_pack() would be left
	 * out of every record without a word: refuse instead. */
	if (xdpwatch__v1__feature_record__descriptor.n_fields !=
	    PB_RECORD_FIELDS) {
		pr_err("FeatureRecord has %u fields, the batcher writes %d",
		       xdpwatch__v1__feature_record__descriptor.n_fields,
		       PB_RECORD_FIELDS);
		return -EPROTO;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->o = *o;
	b->producer = producer;
	snprintf(b->host_id, sizeof(b->host_id), "%s", o->host_id);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		free(b);
		return -errno;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(b->collector_id + 2 * i, 3, "%02x", rnd[i]);

	b->recs = calloc(o->max_records, sizeof(*b->recs));
	b->ifaces = calloc(nifaces ? nifaces : 1, sizeof(*b->ifaces));
	b->iface_ptrs = calloc(nifaces ? nifaces : 1, sizeof(*b->iface_ptrs));
	/* Records at their widest, plus the batch's own fields and counters;
	 * grown in flush if counters ever need more. */
	b->buf_cap = (size_t)o->max_records * PB_RECORD_SLOT + (1 << 16);
	b->buf = malloc(b->buf_cap);
	if (!b->recs || !b->ifaces || !b->iface_ptrs || !b->buf) {
		xw_batcher__destroy(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nifaces; i++) {
		xdpwatch__v1__interface__init(&b->ifaces[i]);
		b->ifaces[i].ifindex = ifaces[i].ifindex;
		b->ifaces[i].ifname = (char *)ifaces[i].ifname;
		b->iface_ptrs[i] = &b->ifaces[i];
	}
	b->nifaces = nifaces;
	xdpwatch__v1__collector_losses__init(&b->losses);
	b->head_bytes = batch_head_bytes(b);
	*out = b;
	return 0;
}

void xw_batcher__add(struct xw_batcher *b, const struct xw_record *rec)
{
	if (!b->n)
		b->first_ms = now_ms();
	b->recs[b->n++] = *rec;
	/* max_bytes is checked against the widest encoding, so a batch never
	 * outgrows the broker's message.max.bytes: it leaves as soon as the
	 * next record might not fit. */
	if (b->n >= b->o.max_records || over_max_bytes(b, b->n + 1))
		xw_batcher__flush(b);
}

void xw_batcher__set_counters(struct xw_batcher *b,
			      Xdpwatch__V1__InterfaceCounters **c, size_t n,
			      uint64_t ringbuf_lost)
{
	Xdpwatch__V1__FeatureBatch only = XDPWATCH__V1__FEATURE_BATCH__INIT;

	only.n_counters = n;
	only.counters = c;
	b->counters_bytes = xdpwatch__v1__feature_batch__get_packed_size(&only);
	/* Records pending that would not fit beside them leave first. */
	if (b->n && over_max_bytes(b, b->n)) {
		b->ncounters = 0; /* superseded: cumulative, these are newer */
		xw_batcher__flush(b);
		b->counters_bytes = xdpwatch__v1__feature_batch__get_packed_size(&only);
	}
	b->counters = c;
	b->ncounters = n;
	b->ringbuf_lost = ringbuf_lost;
}

void xw_batcher__tick(struct xw_batcher *b, uint64_t now)
{
	/* now may be a little behind first_ms (another reading of the same
	 * clock, through a double): that is not "linger_ms ago". */
	if ((b->n && now >= b->first_ms + b->o.linger_ms) || b->ncounters)
		xw_batcher__flush(b);
}

/*
 * FeatureRecord in protobuf's wire format, written here rather than by
 * protobuf-c: its generic packer walks the descriptor for every field of
 * every record, three times per record (the batch's size, then each
 * record's size and bytes), and that was most of the drain's time at a
 * million records per second and more (bench/README.md). The bytes are
 * the ones protobuf-c writes: fields in number order, zero values left
 * out (proto3), enums as int32 (never negative here), bool as 1.
 * A field added to FeatureRecord in features.proto is added here too
 * (xw_batcher__new() refuses to run until it is: PB_RECORD_FIELDS).
 */
static inline uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A varint field (wire type 0), left out when zero. */
static inline uint8_t *pb_uint(uint8_t *p, uint32_t field, uint64_t v)
{
	if (!v)
		return p;
	return pb_varint(pb_varint(p, (uint64_t)field << 3), v);
}

/* A bytes field (wire type 2), left out when empty. */
static inline uint8_t *pb_bytes(uint8_t *p, uint32_t field, const uint8_t *d,
				size_t len)
{
	if (!len)
		return p;
	p = pb_varint(pb_varint(p, (uint64_t)field << 3 | 2), len);
	memcpy(p, d, len);
	return p + len;
}

/* The fields of one FeatureRecord from p on; returns their end. */
static uint8_t *record_pack(const struct xw_batcher *b,
			    const struct xw_record *r, uint64_t base_ns,
			    uint8_t *p)
{
	size_t alen = r->ip_ver == 6 ? 16 : r->ip_ver == 4 ? 4 : 0;

	p = pb_uint(p, 1, r->ts_ns - base_ns); /* ts_offset_ns */
	p = pb_bytes(p, 2, r->saddr, alen); /* src */
	p = pb_bytes(p, 3, r->daddr, alen); /* dst */
	p = pb_uint(p, 4, r->l4_proto);
	p = pb_uint(p, 5, r->sport);
	p = pb_uint(p, 6, r->dport);
	p = pb_uint(p, 7, r->tcp_flags);
	p = pb_uint(p, 8, r->ttl);
	p = pb_uint(p, 9, r->ip_len);
	p = pb_uint(p, 10, r->l4_payload_len);
	p = pb_uint(p, 11, r->pkt_len);
	p = pb_uint(p, 12, r->ifindex);
	p = pb_uint(p, 13, r->tcp_window);
	p = pb_uint(p, 14, r->action); /* enum Action */
	p = pb_uint(p, 15, r->rule_id);
	p = pb_uint(p, 16, r->ip_ver); /* ip_version */
	p = pb_uint(p, 17, r->tos);
	p = pb_uint(p, 18, r->frag);
	p = pb_uint(p, 19, r->vlan_id);
	p = pb_uint(p, 20, r->vlan_count);
	p = pb_uint(p, 21, r->tunnel); /* enum Tunnel */
	p = pb_uint(p, 22, r->rx_queue);
	/* Only a record sampled at another rate than the batch says so. */
	p = pb_uint(p, 23,
		    r->sample_rate == b->o.sample_rate ? 0 : r->sample_rate);
	p = pb_uint(p, 24, !!(r->flags & XW_REC_PARSE_ERROR)); /* parse_error */
	return p;
}

/* Every record as FeatureBatch field 7 from p on, PB_RECORD_SLOT bytes
 * each at most; returns their end. */
static uint8_t *records_pack(const struct xw_batcher *b, uint64_t base_ns,
			     uint8_t *p)
{
	for (uint32_t i = 0; i < b->n; i++) {
		size_t len;

		/* The body goes after a 1-byte length, where nearly every
		 * record's belongs; one of 128 bytes or more moves up one. */
		len = (size_t)(record_pack(b, &b->recs[i], base_ns, p + 2) -
			       (p + 2));
		p[0] = PB_RECORDS_TAG;
		if (len < 0x80) {
			p[1] = (uint8_t)len;
			p += 2 + len;
		} else {
			memmove(p + 3, p + 2, len);
			p = pb_varint(p + 1, len) + len;
		}
	}
	return p;
}

int xw_batcher__flush(struct xw_batcher *b)
{
	/* The batch's fields before its records (1-6) and after them (8-10). */
	Xdpwatch__V1__FeatureBatch head = XDPWATCH__V1__FEATURE_BATCH__INIT;
	Xdpwatch__V1__FeatureBatch tail = XDPWATCH__V1__FEATURE_BATCH__INIT;
	const struct xw_producer_stats *ps;
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", SCHEMA_NAME },
		{ "schema_version", SCHEMA_VERSION_TEXT },
	};
	uint64_t base = UINT64_MAX;
	size_t head_len, tail_len, cap, len;
	uint8_t *p;
	int err;

	if (!b->n && !b->ncounters)
		return 0;
	/* Wall time of the boot clock now, not at start: the clock may have
	 * been stepped since (NTP's first sync after boot). */
	b->clock_offset_ns = xw_clock_offset_ns();
	/* Records from several CPUs can be a little out of order. */
	for (uint32_t i = 0; i < b->n; i++)
		if (b->recs[i].ts_ns < base)
			base = b->recs[i].ts_ns;
	if (!b->n)
		base = 0;

	ps = xw_producer__stats(b->producer);
	b->losses.records_lost_queue_full = ps->records_queue_full;
	b->losses.batches_lost_queue_full = ps->msgs_queue_full;
	b->losses.records_delivery_failed = ps->records_failed;
	b->losses.batches_delivery_failed = ps->msgs_failed;
	b->losses.records_ringbuf_full = b->ringbuf_lost;
	b->losses.batches_produced = ps->msgs_produced;
	b->losses.records_produced = ps->records_produced;

	head.schema_version = SCHEMA_VERSION;
	head.host_id = b->host_id;
	head.collector_id = b->collector_id;
	head.sequence = b->sequence + 1;
	head.time_base_unix_ns = b->n ? base + b->clock_offset_ns : 0;
	head.sample_rate = b->o.sample_rate;
	tail.n_interfaces = b->nifaces;
	tail.interfaces = b->iface_ptrs;
	tail.n_counters = b->ncounters;
	tail.counters = b->counters;
	tail.losses = &b->losses;

	/* protobuf-c packs fields in number order and leaves out those not
	 * set: head, the records, tail, one after the other, are the bytes
	 * of the whole batch packed at once. */
	head_len = xdpwatch__v1__feature_batch__get_packed_size(&head);
	tail_len = xdpwatch__v1__feature_batch__get_packed_size(&tail);
	cap = head_len + (size_t)b->n * PB_RECORD_SLOT + tail_len;
	if (cap > b->buf_cap) {
		/* Only counters of very many interfaces take us here. */
		uint8_t *nb = realloc(b->buf, cap);

		if (nb) {
			b->buf = nb;
			b->buf_cap = cap;
		}
	}
	if (cap > b->buf_cap) {
		pr_err("batch of %u records may pack to %zu bytes, over %zu",
		       b->n, cap, b->buf_cap);
		err = -ENOMEM;
	} else {
		p = b->buf + xdpwatch__v1__feature_batch__pack(&head, b->buf);
		p = records_pack(b, base, p);
		p += xdpwatch__v1__feature_batch__pack(&tail, p);
		len = (size_t)(p - b->buf);
		err = xw_producer__produce(b->producer, b->host_id,
					   strlen(b->host_id), b->buf, len, b->n,
					   hdrs, 2);
	}
	/* The sequence counts batches handed to the producer. One refused by
	 * a full queue takes no number (CollectorLosses counts it); a gap a
	 * consumer sees is a batch that failed delivery, matched by
	 * records_delivery_failed. */
	if (!err)
		b->sequence++;
	b->n = 0;
	b->ncounters = 0;
	b->counters = NULL;
	b->counters_bytes = 0;
	return err;
}

void xw_batcher__destroy(struct xw_batcher *b)
{
	if (!b)
		return;
	free(b->recs);
	free(b->ifaces);
	free(b->iface_ptrs);
	free(b->buf);
	free(b);
}

const char *xw_batcher__collector_id(const struct xw_batcher *b)
{
	return b->collector_id;
}

uint64_t xw_batcher__sequence(const struct xw_batcher *b)
{
	return b->sequence;
}
