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

struct xw_batcher {
	struct xw_batcher_opts o;
	struct xw_producer *producer;
	char host_id[256];
	char collector_id[33];
	uint64_t sequence;

	struct xw_record *recs; /* copies: src/dst bytes point into them */
	Xdpwatch__V1__FeatureRecord *pb;
	Xdpwatch__V1__FeatureRecord **ptrs;
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
	struct xw_batcher *b = calloc(1, sizeof(*b));
	uint8_t rnd[16];

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
	b->pb = calloc(o->max_records, sizeof(*b->pb));
	b->ptrs = calloc(o->max_records, sizeof(*b->ptrs));
	b->ifaces = calloc(nifaces ? nifaces : 1, sizeof(*b->ifaces));
	b->iface_ptrs = calloc(nifaces ? nifaces : 1, sizeof(*b->iface_ptrs));
	/* Records at their widest, plus the batch's own fields and counters;
	 * grown in flush if counters ever need more. */
	b->buf_cap = (size_t)o->max_records * PB_RECORD_SLOT + (1 << 16);
	b->buf = malloc(b->buf_cap);
	if (!b->recs || !b->pb || !b->ptrs || !b->ifaces || !b->iface_ptrs ||
	    !b->buf) {
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

/* Fill the protobuf view of record i; its bytes stay in b->recs. */
static void record_to_pb(struct xw_batcher *b, uint32_t i, uint64_t base_ns)
{
	const struct xw_record *r = &b->recs[i];
	Xdpwatch__V1__FeatureRecord *pb = &b->pb[i];
	size_t alen = r->ip_ver == 6 ? 16 : r->ip_ver == 4 ? 4 : 0;

	xdpwatch__v1__feature_record__init(pb);
	pb->ts_offset_ns = r->ts_ns - base_ns;
	pb->src.data = (uint8_t *)r->saddr;
	pb->src.len = alen;
	pb->dst.data = (uint8_t *)r->daddr;
	pb->dst.len = alen;
	pb->l4_proto = r->l4_proto;
	pb->sport = r->sport;
	pb->dport = r->dport;
	pb->tcp_flags = r->tcp_flags;
	pb->ttl = r->ttl;
	pb->ip_len = r->ip_len;
	pb->l4_payload_len = r->l4_payload_len;
	pb->pkt_len = r->pkt_len;
	pb->ifindex = r->ifindex;
	pb->tcp_window = r->tcp_window;
	pb->action = (Xdpwatch__V1__Action)r->action;
	pb->rule_id = r->rule_id;
	pb->ip_version = r->ip_ver;
	pb->tos = r->tos;
	pb->frag = r->frag;
	pb->vlan_id = r->vlan_id;
	pb->vlan_count = r->vlan_count;
	pb->tunnel = (Xdpwatch__V1__Tunnel)r->tunnel;
	pb->rx_queue = r->rx_queue;
	/* Only a record sampled at another rate than the batch says so. */
	pb->sample_rate = r->sample_rate == b->o.sample_rate ? 0 : r->sample_rate;
	pb->parse_error = !!(r->flags & XW_REC_PARSE_ERROR);
	b->ptrs[i] = pb;
}

int xw_batcher__flush(struct xw_batcher *b)
{
	Xdpwatch__V1__FeatureBatch batch = XDPWATCH__V1__FEATURE_BATCH__INIT;
	const struct xw_producer_stats *ps;
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", SCHEMA_NAME },
		{ "schema_version", SCHEMA_VERSION_TEXT },
	};
	uint64_t base = UINT64_MAX;
	size_t len;
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
	for (uint32_t i = 0; i < b->n; i++)
		record_to_pb(b, i, base);

	ps = xw_producer__stats(b->producer);
	b->losses.records_lost_queue_full = ps->records_queue_full;
	b->losses.batches_lost_queue_full = ps->msgs_queue_full;
	b->losses.records_delivery_failed = ps->records_failed;
	b->losses.batches_delivery_failed = ps->msgs_failed;
	b->losses.records_ringbuf_full = b->ringbuf_lost;
	b->losses.batches_produced = ps->msgs_produced;
	b->losses.records_produced = ps->records_produced;

	batch.schema_version = SCHEMA_VERSION;
	batch.host_id = b->host_id;
	batch.collector_id = b->collector_id;
	batch.sequence = b->sequence + 1;
	batch.time_base_unix_ns = b->n ? base + b->clock_offset_ns : 0;
	batch.sample_rate = b->o.sample_rate;
	batch.n_records = b->n;
	batch.records = b->ptrs;
	batch.n_interfaces = b->nifaces;
	batch.interfaces = b->iface_ptrs;
	batch.n_counters = b->ncounters;
	batch.counters = b->counters;
	batch.losses = &b->losses;

	len = xdpwatch__v1__feature_batch__get_packed_size(&batch);
	if (len > b->buf_cap) {
		/* Only counters of very many interfaces take us here. */
		uint8_t *nb = realloc(b->buf, len);

		if (nb) {
			b->buf = nb;
			b->buf_cap = len;
		}
	}
	if (len > b->buf_cap) {
		pr_err("batch of %u records packs to %zu bytes, over %zu", b->n,
		       len, b->buf_cap);
		err = -ENOMEM;
	} else {
		xdpwatch__v1__feature_batch__pack(&batch, b->buf);
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
	free(b->pb);
	free(b->ptrs);
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
