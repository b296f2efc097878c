// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_detect_decode.c - xw-bench-decode: records per second the
 * detector can read out of FeatureBatch messages on one core.
 *
 * The batches are made by the collector's own encoder: xw_batcher
 * (collector/batcher.c) fed random records shaped like a sampled mix of
 * normal traffic and a spoofed flood, its producer calls routed here by
 * the linker (-Wl,--wrap, CMakeLists.txt) and kept. Then, on the same
 * buffers, each row times one way of reading every record:
 *
 *   protobuf-c unpack       xdpwatch__v1__feature_batch__unpack and
 *                           __free_unpacked: what a consumer gets from
 *                           the generated code (cli/tail.c does this)
 *   xw_fb_decode, empty     common/feature_decode.c with a callback that
 *                           only counts
 *   xw_fb_decode + hll + 2 topk
 *                           the same, and per record what a detector
 *                           window does at least: one HyperLogLog add
 *                           (hashed source) and two Space-Saving adds
 *                           (source, destination port; weighted by the
 *                           sample rate), into one window
 *   detector ingest         the detector's real path, detector/ingest.c:
 *                           sequence check, decode, packet class, weight
 *                           with the exact-counter correction, and the
 *                           destination table for the /32 or /128 and
 *                           its /24 or /64 (slots, and sketches for the
 *                           busy ones); a fresh table each pass, so its
 *                           growth is paid too
 *
 * A run passes over every batch --passes times; the table has min,
 * median and max records/s of wall-clock time over --runs runs, and the
 * median records per second of the thread's CPU time, which another
 * process on a shared VM disturbs less (ns/rec is of that one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batcher.h"
#include "bench_util.h"
#include "feature_decode.h"
#include "hash.h"
#include "hll.h"
#include "ingest.h"
#include "kafka.h"
#include "log.h"
#include "topk.h"
#include "xdpwatch/v1/features.pb-c.h"

#define BENCH_MAX_RUNS 51
_Static_assert(BENCH_MAX_RUNS <= BENCH_SPREAD_MAX, "runs fit bench_spread_of");

struct bench_opts {
	long long batches;
	long long records;
	long long runs;
	long long passes;
	long long seed;
	long long cpu;
	long long sample_rate;
};

#define OFF(f) offsetof(struct bench_opts, f)
static const struct bench_opt opt_rows[] = {
	{ "batches", 'b', BENCH_OPT_INT, OFF(batches), 100, 1, 100000, NULL, "N",
	  "FeatureBatches to build" },
	{ "records", 'r', BENCH_OPT_INT, OFF(records), 1000, 1, 100000, NULL, "N",
	  "records per batch" },
	{ "runs", 'n', BENCH_OPT_INT, OFF(runs), 7, 1, BENCH_MAX_RUNS, NULL, "N",
	  "timed runs per row (min/median/max)" },
	{ "passes", 'p', BENCH_OPT_INT, OFF(passes), 20, 1, 100000, NULL, "N",
	  "passes over every batch per run" },
	{ "seed", 's', BENCH_OPT_INT, OFF(seed), 1, 1, 1LL << 62, NULL, "N",
	  "random records from this seed" },
	{ "cpu", 'c', BENCH_OPT_INT, OFF(cpu), -1, -1, 1023, NULL, "N",
	  "pin to this CPU (-1: wherever the scheduler likes)" },
	{ "sample-rate", 'S', BENCH_OPT_INT, OFF(sample_rate), 100, 1,
	  1000000, NULL, "N", "the batches' sample rate" },
	{ "help", 'h', BENCH_OPT_HELP, 0, 0, 0, 0, NULL, NULL, "this text" },
};

static const struct bench_cli cli = {
	.prog = "xw-bench-decode",
	.about = "Records/s the detector can decode out of FeatureBatch messages\n"
		 "made by the collector's encoder: protobuf-c unpack, xw_fb_decode,\n"
		 "and xw_fb_decode with one HyperLogLog and two Space-Saving adds\n"
		 "per record. Needs nothing: no root, no Kafka.\n\n",
	.opts = opt_rows,
	.nopts = BENCH_OPTS_N(opt_rows),
	.width = 22,
};

/* ---- the batches, caught at the producer ---- */

struct batch {
	uint8_t *buf;
	size_t len;
	uint32_t nrecords;
};

static struct {
	struct batch *b;
	size_t n, cap;
	struct xw_producer_stats stats;
} sink;
#define SINK ((struct xw_producer *)&sink)

int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs);
const struct xw_producer_stats *
__wrap_xw_producer__stats(struct xw_producer *p);

int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs)
{
	struct batch *b;

	if (sink.n == sink.cap)
		return -ENOBUFS;
	b = &sink.b[sink.n];
	b->buf = malloc(len);
	if (!b->buf)
		return -ENOMEM;
	memcpy(b->buf, buf, len);
	b->len = len;
	b->nrecords = records;
	sink.n++;
	sink.stats.msgs_produced++;
	sink.stats.records_produced += records;
	return 0;
}

const struct xw_producer_stats *__wrap_xw_producer__stats(struct xw_producer *p)
{
	return &sink.stats;
}

static uint64_t rng;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/*
 * One sampled packet: 80% IPv4; a third of all records a spoofed UDP or
 * SYN flood from random sources at one victim, the rest clients of a few
 * hundred services (TCP mostly, some DNS/QUIC, a little ICMP); arrivals
 * about a microsecond apart after sampling, so ts_offset takes 2-4
 * bytes as in real batches of a few milliseconds.
 */
static void rec_random(struct xw_record *r, uint64_t *ts, uint32_t rate)
{
	uint64_t x = rnd64(), y = rnd64();
	bool v6 = x % 5 == 0, flood = (x >> 8) % 3 == 0;

	memset(r, 0, sizeof(*r));
	*ts += 200 + (y & 2047);
	r->ts_ns = *ts;
	r->ip_ver = v6 ? 6 : 4;
	r->ifindex = 2 + (x >> 16) % 2;
	r->rx_queue = (uint32_t)(y >> 11) % 8;
	r->sample_rate = rate;
	r->ttl = (uint8_t)(flood ? 32 + (y >> 20) % 200 : 48 + (y >> 20) % 16);
	r->action = (uint8_t)(flood && (x >> 20) % 4 == 0 ? XW_ACT_DROP : XW_ACT_PASS);
	r->rule_id = r->action ? 4096 + (uint32_t)(x >> 24) % 4 : 0;
	r->flags = XW_REC_L4_VALID;
	if (v6) {
		uint64_t s = flood ? rnd64() : (x >> 24) % 5000, d = flood ? 1 : (y >> 40) % 300;

		r->saddr[0] = 0x20, r->saddr[1] = 0x01, r->saddr[2] = 0x0d, r->saddr[3] = 0xb8;
		memcpy(r->saddr + 8, &s, 8);
		r->daddr[0] = 0x20, r->daddr[1] = 0x01, r->daddr[2] = 0x0d, r->daddr[3] = 0xb8;
		r->daddr[4] = 0xff;
		memcpy(r->daddr + 8, &d, 8);
	} else {
		uint32_t s = flood ? (uint32_t)rnd64() : 0xc6120000u + (uint32_t)(x >> 24) % 20000;
		uint32_t d = flood ? 0xcb007107u : 0xc0000200u + (uint32_t)(y >> 40) % 250;

		s = __builtin_bswap32(s);
		d = __builtin_bswap32(d);
		memcpy(r->saddr, &s, 4);
		memcpy(r->daddr, &d, 4);
	}
	if (flood) {
		bool syn = (y >> 5) % 2;

		r->l4_proto = syn ? 6 : 17;
		r->sport = (uint16_t)(y >> 24);
		r->dport = syn ? 80 : (uint16_t)(y >> 40);
		r->tcp_flags = syn ? 0x02 : 0;
		r->tcp_window = syn ? 64240 : 0;
		r->pkt_len = syn ? 60 : 60 + (uint32_t)(y >> 50) % 1400;
	} else if ((x >> 40) % 20 == 0) {
		r->l4_proto = v6 ? 58 : 1;
		r->sport = v6 ? 128 : 8; /* echo request */
		r->pkt_len = 98;
	} else {
		bool udp = (x >> 40) % 10 < 2;

		r->l4_proto = udp ? 17 : 6;
		r->sport = (uint16_t)(32768 + (y >> 24) % 28000);
		r->dport = udp ? ((x >> 50) % 2 ? 53 : 443) : (x >> 50) % 4 ? 443 : 22;
		r->tcp_flags = udp ? 0 : (x >> 45) % 3 ? 0x10 : 0x18;
		r->tcp_window = udp ? 0 : 500 + (uint32_t)(y >> 48) % 3000;
		r->pkt_len = (x >> 45) % 3 ? 66 : 66 + (uint32_t)(y >> 50) % 1448;
	}
	r->ip_len = r->pkt_len - 14;
	r->l4_payload_len = r->pkt_len > 66 ? r->pkt_len - 66 : 0;
	r->tos = (y >> 60) % 4 == 0 ? 0x28 << 2 : 0;
}

static int batches_build(const struct bench_opts *o)
{
	static const struct xw_iface_name ifaces[] = { { 2, "eth0" },
						       { 3, "eth1" } };
	struct xw_batcher_opts bo = {
		.host_id = "bench-host-01.example",
		.max_records = (uint32_t)o->records,
		.max_bytes = 64u << 20,
		.linger_ms = 3600000,
		.sample_rate = (uint32_t)o->sample_rate,
	};
	struct xw_batcher *b = NULL;
	uint64_t ts = 1000000000ull;
	struct xw_record r;
	int err;

	sink.cap = (size_t)o->batches;
	sink.b = calloc(sink.cap, sizeof(*sink.b));
	if (!sink.b)
		return -ENOMEM;
	err = xw_batcher__new(&b, &bo, SINK, ifaces, 2);
	if (err)
		return err;
	rng = (uint64_t)o->seed * 0x9e3779b97f4a7c15ull + 1;
	while (sink.n < sink.cap) {
		rec_random(&r, &ts, (uint32_t)o->sample_rate);
		xw_batcher__add(b, &r); /* flushes itself at max_records */
	}
	xw_batcher__destroy(b);
	return 0;
}

/* ---- the rows ---- */

struct window {
	struct xw_hll src_distinct;
	struct xw_topk src, dport;
	uint64_t records;
};

static int count_only(void *ctx, const struct xw_fb_header *h,
		      const struct xw_fb_record *r)
{
	((struct window *)ctx)->records++;
	return 0;
}

static int aggregate(void *ctx, const struct xw_fb_header *h,
		     const struct xw_fb_record *r)
{
	struct window *w = ctx;
	uint8_t alen = r->ip_version == 6 ? 16 : 4;
	struct xw_topk_key k;
	double weight = r->sample_rate;

	xw_hll_add(&w->src_distinct, xw_hash64(r->src, alen, 0x5eed));
	k.len = alen;
	memcpy(k.b, r->src, 16);
	xw_topk_add(&w->src, &k, weight);
	k.len = 2;
	k.b[0] = (uint8_t)(r->dport >> 8);
	k.b[1] = (uint8_t)r->dport;
	xw_topk_add(&w->dport, &k, weight);
	w->records++;
	return 0;
}

enum row_kind { ROW_PROTOBUF_C, ROW_DECODE, ROW_DECODE_AGG, ROW_INGEST, ROW_COUNT };

static const char *const row_names[ROW_COUNT] = {
	[ROW_PROTOBUF_C] = "protobuf-c unpack + free",
	[ROW_DECODE] = "xw_fb_decode, empty callback",
	[ROW_DECODE_AGG] = "xw_fb_decode + hll + 2 topk",
	[ROW_INGEST] = "detector ingest (ingest.c)",
};

/* The detector's settings that matter here: config/detector.cfg's. */
static const struct xw_dtable_opts dtable_opts = {
	.max_dsts = 1000000, .max_heavy = 8192, .watch_pps = 1000,
	.idle_s = 60, .baseline_alpha = 0.005,
};
static const struct xw_ingest_opts ingest_opts = {
	.carpet_v4 = 24, .carpet_v6 = 64,
	.max_hosts = 16, /* one here; the daemon's 65535 is a large calloc */
};
static uint64_t ingest_dsts, ingest_heavy;

/* Every batch through a fresh ingest and table; records read, 0 on error. */
static uint64_t pass_ingest(void)
{
	struct xw_dtable *t = NULL;
	struct xw_ingest *g = NULL;
	uint64_t n = 0;

	if (xw_dtable_new(&t, &dtable_opts) ||
	    xw_ingest__new(&g, &ingest_opts, t, NULL, NULL))
		goto out;
	for (size_t i = 0; i < sink.n; i++)
		if (xw_ingest__batch(g, sink.b[i].buf, sink.b[i].len, 0))
			goto out;
	n = xw_ingest__stats(g)->records;
	ingest_dsts = xw_dtable_stats(t)->dsts;
	ingest_heavy = xw_dtable_stats(t)->heavy;
out:
	xw_ingest__free(g);
	xw_dtable_free(t);
	return n;
}

/* One pass over every batch; returns records seen, or 0 on an error. */
static uint64_t pass(enum row_kind kind, struct window *w)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sink.n; i++) {
		const struct batch *b = &sink.b[i];
		Xdpwatch__V1__FeatureBatch *fb;
		struct xw_fb_header h;
		int err;

		switch (kind) {
		case ROW_PROTOBUF_C:
			fb = xdpwatch__v1__feature_batch__unpack(NULL, b->len, b->buf);
			if (!fb)
				return 0;
			n += fb->n_records;
			xdpwatch__v1__feature_batch__free_unpacked(fb, NULL);
			break;
		case ROW_INGEST:
			return pass_ingest();
		case ROW_DECODE:
		case ROW_DECODE_AGG:
			w->records = 0;
			err = xw_fb_decode(b->buf, b->len, &h,
					   kind == ROW_DECODE ? count_only : aggregate, w);
			if (err || w->records != b->nrecords)
				return 0;
			n += w->records;
			break;
		default:
			return 0;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_spread sp[ROW_COUNT], cpu_sp[ROW_COUNT];
	double rate[BENCH_MAX_RUNS], cpu_rate[BENCH_MAX_RUNS], share[ROW_COUNT];
	struct window *w = calloc(1, sizeof(*w));
	uint64_t total_records = 0, total_bytes = 0;
	int err;

	err = bench_opts__parse(&cli, &o, sizeof(o), argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	xw_log_set_program("xw-bench-decode");
	bench_signals__install();
	if (!w)
		return 1;
	if (o.cpu >= 0 && (err = bench_pin_self((int)o.cpu))) {
		fprintf(stderr, "xw-bench-decode: CPU %lld: %s\n", o.cpu, strerror(-err));
		return 1;
	}
	err = batches_build(&o);
	if (err) {
		fprintf(stderr, "xw-bench-decode: building batches: %s\n", strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < sink.n; i++) {
		total_records += sink.b[i].nrecords;
		total_bytes += sink.b[i].len;
	}
	fprintf(stderr, "built %zu batches, %llu records, %.1f bytes/record\n",
		sink.n, (unsigned long long)total_records,
		(double)total_bytes / total_records);

	for (int k = 0; k < ROW_COUNT; k++) {
		xw_hll_reset(&w->src_distinct);
		xw_topk_init(&w->src, 16);
		xw_topk_init(&w->dport, 16);
		if (!pass(k, w)) { /* warm-up, and a check that it reads all */
			fprintf(stderr, "xw-bench-decode: %s failed\n", row_names[k]);
			return 1;
		}
		double wall = 0, cpu = 0;

		for (long long run = 0; run < o.runs; run++) {
			double c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID), c1;
			uint64_t n = 0, t0 = bench_now_ns(), t1;

			for (long long p = 0; p < o.passes && !bench_stop; p++)
				n += pass(k, w);
			t1 = bench_now_ns();
			c1 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
			if (bench_stop)
				return 130;
			rate[run] = (double)n / ((double)(t1 - t0) / 1e9);
			cpu_rate[run] = (double)n / (c1 - c0);
			wall += (double)(t1 - t0) / 1e9;
			cpu += c1 - c0;
		}
		sp[k] = bench_spread_of(rate, (size_t)o.runs);
		cpu_sp[k] = bench_spread_of(cpu_rate, (size_t)o.runs);
		share[k] = cpu / wall;
		fprintf(stderr, "%s: median %.2f M/s\n", row_names[k], sp[k].med / 1e6);
	}

	printf("\nxw-bench-decode: records/s decoding FeatureBatches made by the "
	       "collector's encoder\n");
	printf("%zu batches of %lld records (%.1f bytes/record packed), %lld "
	       "passes per run, %lld runs, %s\n",
	       sink.n, o.records, (double)total_bytes / total_records, o.passes,
	       o.runs, o.cpu >= 0 ? "pinned" : "not pinned");
	printf("wall: records over wall-clock time; CPU: over the thread's CPU "
	       "time (steadier on a shared VM)\n");
	printf("\n%-30s %7s %7s %7s %6s %9s %8s %5s\n", "row", "min M/s",
	       "med M/s", "max M/s", "CPU", "M/CPU-s", "ns/rec", "/pbc");
	for (int k = 0; k < ROW_COUNT; k++)
		printf("%-30s %7.2f %7.2f %7.2f %5.0f%% %9.2f %8.1f %4.1fx\n",
		       row_names[k], sp[k].min / 1e6, sp[k].med / 1e6,
		       sp[k].max / 1e6, 100 * share[k], cpu_sp[k].med / 1e6,
		       1e9 / cpu_sp[k].med,
		       cpu_sp[k].med / cpu_sp[ROW_PROTOBUF_C].med);
	printf("\nns/rec and /pbc (over protobuf-c) are of M/CPU-s.\n");
	printf("Goal (issue): >= 5 M records/s decoded and aggregated per core: "
	       "%s (detector ingest: %.2f M/CPU-s, %.2f M/s wall)\n",
	       cpu_sp[ROW_INGEST].med >= 5e6 ? "holds" : "NOT met",
	       cpu_sp[ROW_INGEST].med / 1e6, sp[ROW_INGEST].med / 1e6);
	printf("\nMemory per tracked destination: %zu bytes light (every "
	       "destination), %zu bytes with sketches (busier than watch_pps)\n"
	       "this stream: %llu destinations tracked, %llu with sketches\n",
	       xw_dtable_bytes_light(), xw_dtable_bytes_heavy(),
	       (unsigned long long)ingest_dsts, (unsigned long long)ingest_heavy);
	/* Keep the aggregation observable, so none of it is optimised out. */
	fprintf(stderr, "(window: ~%.0f distinct sources, %u top sources)\n",
		xw_hll_estimate(&w->src_distinct), w->src.n);
	for (size_t i = 0; i < sink.n; i++)
		free(sink.b[i].buf);
	free(sink.b);
	free(w);
	return 0;
}
