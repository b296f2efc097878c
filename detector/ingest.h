/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ingest.h - FeatureBatch messages into the destination table.
 *
 * Each record stands for sample_rate packets, times a per-host, per-class
 * correction from the exact counters the batches carry: the packets the
 * kernel counted between two counter snapshots over what the records
 * received in between stood for. Records lost to a full ring buffer or a
 * dropped batch are thus still counted, and a 1:1000 host and a 1:1 host
 * give the same estimate for the same traffic.
 *
 * Batches are checked against their host's sequence: a repeat is skipped
 * (counted), a gap is counted.
 *
 *   xw_ingest__new(&g, opts, dtable, groups_fn, ctx)
 *   xw_ingest__batch(g, buf, len, partition)   0, or -EBADMSG (counted)
 *   xw_ingest__host_name(g, idx), xw_ingest__host_partition(g, idx)
 *   xw_ingest__host_lag_ms(g, idx)
 *       how far behind the wall clock this host's newest records arrived
 *       (pipeline delay, a backlog being read, the host's clock skew): a
 *       destination's window is advanced only as far as its data reaches,
 *       so a lagging detector does not read a flood as silence
 */
#ifndef XW_INGEST_H
#define XW_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "dtable.h"

struct xw_ingest_opts {
	uint8_t carpet_v4, carpet_v6; /* prefix lengths watched; 0 off */
	uint32_t max_hosts;
};

struct xw_ingest_stats {
	uint64_t batches, records, bytes;
	uint64_t bad_batches, duplicate_batches, missing_batches;
	uint64_t not_ip; /* records without an IP header */
	uint64_t hosts_refused; /* batches from hosts past max_hosts */
	uint32_t hosts;
};

/* Which thresholds group a new destination falls in. */
typedef uint16_t (*xw_group_fn)(void *ctx, const struct xw_dkey *k);

struct xw_ingest;

int xw_ingest__new(struct xw_ingest **g, const struct xw_ingest_opts *o,
		   struct xw_dtable *t, xw_group_fn group, void *ctx);
void xw_ingest__free(struct xw_ingest *g);
int xw_ingest__batch(struct xw_ingest *g, const void *buf, size_t len,
		     int32_t partition);
const char *xw_ingest__host_name(const struct xw_ingest *g, uint16_t host);
int32_t xw_ingest__host_partition(const struct xw_ingest *g, uint16_t host);
int64_t xw_ingest__host_lag_ms(const struct xw_ingest *g, uint16_t host);
/* The correction ingest applies to a host's records of one class (tests). */
double xw_ingest__correction(const struct xw_ingest *g, const char *host_id,
			     unsigned int ipver, unsigned int l4);
const struct xw_ingest_stats *xw_ingest__stats(const struct xw_ingest *g);

#endif /* XW_INGEST_H */
