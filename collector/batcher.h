/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * batcher.h - records into protobuf FeatureBatch messages, by count, bytes
 * and time, handed to the Kafka producer without ever blocking the drain.
 *
 *   xw_batcher__new(&b, opts, producer)
 *   xw_batcher__add(b, rec)      copy one record; flushes when the batch
 *                                reaches max_records or max_bytes
 *   xw_batcher__tick(b, now_ms)  flush when the oldest record has waited
 *                                linger_ms, or counters are pending
 *   xw_batcher__set_counters(b, counters, n)
 *                                exact counters to carry in the next batch
 *   xw_batcher__flush(b)
 *   xw_batcher__destroy(b)
 *
 * When the producer's queue is full the batch is dropped and its records
 * are counted in CollectorLosses, which every later batch reports.
 * Sequence numbers count batches handed to the producer: 1, 2, 3, ...
 * per collector_id, so a consumer sees gaps and duplicates.
 */
#ifndef XW_BATCHER_H
#define XW_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "xdpwatch_shared.h"

struct xw_producer;
struct xw_batcher;
struct Xdpwatch__V1__InterfaceCounters;

struct xw_batcher_opts {
	const char *host_id;
	uint32_t max_records;
	uint32_t max_bytes;
	uint32_t linger_ms;
	uint32_t sample_rate;
};

struct xw_iface_name {
	uint32_t ifindex;
	const char *ifname;
};

int xw_batcher__new(struct xw_batcher **b, const struct xw_batcher_opts *o,
		    struct xw_producer *producer,
		    const struct xw_iface_name *ifaces, size_t nifaces);
void xw_batcher__add(struct xw_batcher *b, const struct xw_record *rec);
void xw_batcher__tick(struct xw_batcher *b, uint64_t now_ms);
void xw_batcher__set_counters(struct xw_batcher *b,
			      struct Xdpwatch__V1__InterfaceCounters **c,
			      size_t n, uint64_t ringbuf_lost);
int xw_batcher__flush(struct xw_batcher *b);
void xw_batcher__destroy(struct xw_batcher *b);
const char *xw_batcher__collector_id(const struct xw_batcher *b);
uint64_t xw_batcher__sequence(const struct xw_batcher *b);

/* Upper bound of one record's encoded size (every field at its widest). */
#define XW_PB_RECORD_MAX 136

#endif /* XW_BATCHER_H */
