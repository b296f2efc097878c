// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ingest.c - batches into the destination table. See ingest.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "feature_decode.h"
#include "hash.h"
#include "ingest.h"
#include "log.h"

#define NIPVER 3 /* none, v4, v6: as xw_fb_header's counters */
#define NL4 5 /* tcp, udp, icmp, icmpv6, other */
#define HOST_ID_MAX 64
#define COLLECTOR_ID_MAX 64
/* Fewer samples than this between two snapshots say little. */
#define CORRECTION_MIN_SAMPLES 64
#define CORRECTION_MIN 0.5
#define CORRECTION_MAX 64.0
#define FRAG_LATER 0x04 /* features.proto: a fragment after the first */

struct host {
	char id[HOST_ID_MAX];
	char collector_id[COLLECTOR_ID_MAX];
	uint64_t last_seq;
	int32_t partition;
	int64_t lag_ms; /* arrival - newest record's event time, >= 0 */
	bool have_counters;
	uint64_t prev[NIPVER][NL4]; /* exact packets at the last snapshot */
	double sampled[NIPVER][NL4]; /* what records stood for since */
	float corr[NIPVER][NL4];
};

struct xw_ingest {
	struct xw_ingest_opts o;
	struct xw_dtable *t;
	xw_group_fn group;
	void *ctx;
	struct host *hosts;
	uint32_t nhosts;
	uint32_t *index; /* open addressing: host index + 1, 0 free */
	uint32_t index_cap;
	struct xw_ingest_stats st;
	/* the batch being decoded */
	struct host *cur;
	uint16_t cur_idx;
	uint64_t newest_ns;
};

int xw_ingest__new(struct xw_ingest **out, const struct xw_ingest_opts *o,
		   struct xw_dtable *t, xw_group_fn group, void *ctx)
{
	struct xw_ingest *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->o = *o;
	if (!g->o.max_hosts || g->o.max_hosts > UINT16_MAX)
		g->o.max_hosts = UINT16_MAX;
	g->t = t;
	g->group = group;
	g->ctx = ctx;
	for (g->index_cap = 64; g->index_cap < 2 * g->o.max_hosts;)
		g->index_cap *= 2;
	g->index = calloc(g->index_cap, sizeof(*g->index));
	g->hosts = calloc(g->o.max_hosts, sizeof(*g->hosts));
	if (!g->index || !g->hosts) {
		xw_ingest__free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void xw_ingest__free(struct xw_ingest *g)
{
	if (!g)
		return;
	free(g->index);
	free(g->hosts);
	free(g);
}

static int host_find(struct xw_ingest *g, const char *id, size_t len,
		     bool create)
{
	uint32_t mask = g->index_cap - 1;
	uint32_t i = (uint32_t)xw_hash64(id, len, 0) & mask;

	for (; g->index[i]; i = (i + 1) & mask) {
		struct host *h = &g->hosts[g->index[i] - 1];

		if (strlen(h->id) == len && !memcmp(h->id, id, len))
			return (int)(g->index[i] - 1);
	}
	if (!create)
		return -ENOENT;
	if (g->nhosts >= g->o.max_hosts)
		return -ENOSPC;
	memcpy(g->hosts[g->nhosts].id, id, len);
	for (unsigned int k = 0; k < NIPVER; k++)
		for (unsigned int l = 0; l < NL4; l++)
			g->hosts[g->nhosts].corr[k][l] = 1;
	g->index[i] = ++g->nhosts;
	g->st.hosts = g->nhosts;
	return (int)(g->nhosts - 1);
}

static unsigned int l4_index(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	case IPPROTO_ICMP:
		return 2;
	case IPPROTO_ICMPV6:
		return 3;
	default:
		return 4;
	}
}

static void mask_key(struct xw_dkey *k, uint8_t len)
{
	unsigned int bytes = len / 8, bits = len % 8;

	k->len = len;
	if (bits)
		k->addr[bytes++] &= (uint8_t)(0xff << (8 - bits));
	memset(k->addr + bytes, 0, sizeof(k->addr) - bytes);
}

static void add_to(struct xw_ingest *g, const struct xw_dkey *k, uint64_t slot,
		   const struct xw_rec_class *rc, const struct xw_fb_record *r,
		   uint8_t alen)
{
	struct xw_dst *d = xw_dtable_get(g->t, k);

	if (!d)
		return; /* counted by the table */
	if (!d->cur_slot && g->group)
		d->group = g->group(g->ctx, k);
	xw_dst_add(g->t, d, slot, rc, r->src, alen, r->sport, r->dport, r->dst,
		   g->cur_idx);
}

static int on_record(void *ctx, const struct xw_fb_header *h,
		     const struct xw_fb_record *r)
{
	struct xw_ingest *g = ctx;
	struct host *host = g->cur;
	unsigned int ipv, l4;
	struct xw_rec_class rc;
	struct xw_dkey k;
	uint8_t alen;
	uint64_t slot;

	if (r->ip_version == 4) {
		ipv = 1;
		alen = 4;
	} else if (r->ip_version == 6) {
		ipv = 2;
		alen = 16;
	} else {
		g->st.not_ip++;
		return 0;
	}
	/* The kernel counts a later fragment as "other", whatever its IP
	 * protocol (bpf/parse.h): correct it against that counter. */
	l4 = r->frag & FRAG_LATER ? XW_FB_L4_OTHER : l4_index(r->l4_proto);
	host->sampled[ipv][l4] += r->sample_rate;
	xw_record_class(r, (float)r->sample_rate * host->corr[ipv][l4], &rc);
	if (h->time_base_unix_ns + r->ts_offset_ns > g->newest_ns)
		g->newest_ns = h->time_base_unix_ns + r->ts_offset_ns;
	slot = (h->time_base_unix_ns + r->ts_offset_ns) / (XW_SLOT_MS * 1000000ULL);
	k.family = r->ip_version;
	k.len = alen * 8;
	memcpy(k.addr, r->dst, 16);
	if (alen == 4)
		memset(k.addr + 4, 0, 12);
	add_to(g, &k, slot, &rc, r, alen);
	if (alen == 4 ? g->o.carpet_v4 : g->o.carpet_v6) {
		mask_key(&k, alen == 4 ? g->o.carpet_v4 : g->o.carpet_v6);
		add_to(g, &k, slot, &rc, r, alen);
	}
	return 0;
}

/* Exact packets over what the records stood for, per class. */
static void correct(struct host *host, const struct xw_fb_header *h)
{
	for (unsigned int v = 1; v < NIPVER; v++) {
		for (unsigned int l = 0; l < NL4; l++) {
			uint64_t cur = 0;
			double ratio;

			for (unsigned int a = 0; a < 4; a++)
				cur += h->pkts[v][l][a];
			if (host->have_counters && cur >= host->prev[v][l] &&
			    host->sampled[v][l] >= CORRECTION_MIN_SAMPLES) {
				ratio = (double)(cur - host->prev[v][l]) /
					host->sampled[v][l];
				if (ratio < CORRECTION_MIN)
					ratio = CORRECTION_MIN;
				if (ratio > CORRECTION_MAX)
					ratio = CORRECTION_MAX;
				host->corr[v][l] = (float)ratio;
			}
			host->prev[v][l] = cur;
			host->sampled[v][l] = 0;
		}
	}
	host->have_counters = true;
}

int xw_ingest__batch(struct xw_ingest *g, const void *buf, size_t len,
		     int32_t partition)
{
	struct xw_fb_header h;
	struct host *host;
	int idx, ret;

	ret = xw_fb_peek_header(buf, len, &h);
	if (ret || !h.host_id_len || h.host_id_len >= HOST_ID_MAX ||
	    h.collector_id_len >= COLLECTOR_ID_MAX) {
		g->st.bad_batches++;
		return -EBADMSG;
	}
	idx = host_find(g, h.host_id, h.host_id_len, true);
	if (idx < 0) {
		g->st.hosts_refused++;
		return idx;
	}
	host = &g->hosts[idx];
	host->partition = partition;
	if (strlen(host->collector_id) != h.collector_id_len ||
	    memcmp(host->collector_id, h.collector_id, h.collector_id_len)) {
		/* A collector restart: a new sequence and new counters. */
		memcpy(host->collector_id, h.collector_id, h.collector_id_len);
		host->collector_id[h.collector_id_len] = '\0';
		host->have_counters = false;
		memset(host->sampled, 0, sizeof(host->sampled));
		host->last_seq = 0;
	}
	if (host->last_seq && h.sequence <= host->last_seq) {
		g->st.duplicate_batches++;
		return 0;
	}
	if (host->last_seq && h.sequence > host->last_seq + 1)
		g->st.missing_batches += h.sequence - host->last_seq - 1;
	host->last_seq = h.sequence;
	g->cur = host;
	g->cur_idx = (uint16_t)idx;
	g->newest_ns = 0;
	ret = xw_fb_decode(buf, len, &h, on_record, g);
	if (ret) {
		g->st.bad_batches++;
		return ret;
	}
	if (g->newest_ns) {
		struct timespec ts;
		int64_t now_ns;

		clock_gettime(CLOCK_REALTIME, &ts);
		now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		host->lag_ms = now_ns > (int64_t)g->newest_ns ?
				       (now_ns - (int64_t)g->newest_ns) / 1000000 : 0;
	}
	if (h.has_counters)
		correct(host, &h);
	g->st.batches++;
	g->st.records += h.nrecords;
	g->st.bytes += len;
	return 0;
}

const char *xw_ingest__host_name(const struct xw_ingest *g, uint16_t host)
{
	return host < g->nhosts ? g->hosts[host].id : "?";
}

int32_t xw_ingest__host_partition(const struct xw_ingest *g, uint16_t host)
{
	return host < g->nhosts ? g->hosts[host].partition : -1;
}

int64_t xw_ingest__host_lag_ms(const struct xw_ingest *g, uint16_t host)
{
	return host < g->nhosts ? g->hosts[host].lag_ms : 0;
}

double xw_ingest__correction(const struct xw_ingest *g, const char *host_id,
			     unsigned int ipver, unsigned int l4)
{
	int idx = host_find((struct xw_ingest *)g, host_id, strlen(host_id), false);

	if (idx < 0 || ipver >= NIPVER || l4 >= NL4)
		return 0;
	return g->hosts[idx].corr[ipver][l4];
}

const struct xw_ingest_stats *xw_ingest__stats(const struct xw_ingest *g)
{
	return &g->st;
}
