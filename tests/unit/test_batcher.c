// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_batcher.c - feature records as protobuf FeatureBatch messages on
 * Kafka (collector/batcher.c over common/kafka.c), end to end through
 * librdkafka's mock cluster: produced with xw_producer, read back with
 * xw_consumer, decoded with the generated protobuf-c code.
 *
 * One mock broker, one topic and one consumer serve every test (a
 * consumer group's first join takes the mock ~3 s). Each test reads back
 * only the batches of its own batcher, by collector_id.
 *
 * Also the encoded size of a typical record, and a check that
 * XW_PB_RECORD_MAX bounds a record with every field at its widest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "batcher.h"
#include "counters.h"
#include "kafka.h"
#include "log.h"
#include "names.h"
#include "record_json.h"
#include "xdpwatch/v1/features.pb-c.h"

#include "testhelp.h"

#define TOPIC "xdpwatch.features.v1"
#define HOST_ID "host-7.example"
#define SCHEMA "xdpwatch.v1.FeatureBatch"
#define READ_TIMEOUT_MS 10000
#define MAX_GOT 64

static struct {
	rd_kafka_t *mock_rk; /* only holds the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	char bootstraps[256];
	struct xw_consumer *c;
} g;

/* One batch read back. */
struct got {
	Xdpwatch__V1__FeatureBatch *fb;
	size_t len; /* the packed message */
	char key[256];
	char schema[128];
	int64_t offset;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac,
		      const char *buf)
{
}

static void props_set(struct xw_cfg_kv *kv, const char *k, const char *v)
{
	assert_true(kv->count < XW_CFG_KV_MAX);
	snprintf(kv->key[kv->count], sizeof(kv->key[0]), "%s", k);
	snprintf(kv->value[kv->count], sizeof(kv->value[0]), "%s", v);
	kv->count++;
}

/* A producer on the mock cluster; extra: NULL-terminated name, value pairs. */
static struct xw_producer *producer_new(const char *const *extra)
{
	struct xw_cfg_kv *kv = calloc(1, sizeof(*kv));
	struct xw_producer *p = NULL;
	char err[512] = "";

	assert_non_null(kv);
	props_set(kv, "bootstrap.servers", g.bootstraps);
	for (; extra && *extra; extra += 2)
		props_set(kv, extra[0], extra[1]);
	if (xw_producer__new(&p, kv, TOPIC, err, sizeof(err)))
		fail_msg("xw_producer__new: %s", err);
	free(kv);
	return p;
}

static struct xw_batcher *batcher_new(struct xw_producer *p, uint32_t max_records,
				      uint32_t max_bytes, uint32_t linger_ms,
				      uint32_t sample_rate)
{
	static const struct xw_iface_name ifaces[] = { { 2, "eth0" },
						       { 5, "ens1f0" } };
	struct xw_batcher_opts o = {
		.host_id = HOST_ID,
		.max_records = max_records,
		.max_bytes = max_bytes,
		.linger_ms = linger_ms,
		.sample_rate = sample_rate,
	};
	struct xw_batcher *b = NULL;

	assert_int_equal(xw_batcher__new(&b, &o, p, ifaces, XW_ARRAY_SIZE(ifaces)), 0);
	return b;
}

/* Everything handed to the producer is on the mock broker. */
static void producer_drain(struct xw_producer *p)
{
	assert_int_equal(xw_producer__flush(p, 5000), 0);
	assert_int_equal(xw_producer__stats(p)->msgs_failed, 0);
}

/*
 * Read batches of collector cid until want of them arrived (others are
 * skipped), then keep reading a moment so that an extra one is seen too.
 * Returns how many were read.
 */
static size_t read_batches(const char *cid, struct got *out, size_t want)
{
	uint64_t deadline = mono_ms() + READ_TIMEOUT_MS, quiet_until = 0;
	size_t n = 0;

	assert_true(want < MAX_GOT);
	for (;;) {
		struct xw_kafka_msg m;
		Xdpwatch__V1__FeatureBatch *fb;
		uint64_t now = mono_ms();
		int ret;

		if (n >= want && !quiet_until)
			quiet_until = now + 150;
		if (now >= deadline || (quiet_until && now >= quiet_until))
			break;
		ret = xw_consumer__next(g.c, 50, &m);
		assert_true(ret >= 0);
		if (!ret || !m.value)
			continue;
		fb = xdpwatch__v1__feature_batch__unpack(NULL, m.len, m.value);
		if (!fb)
			fail_msg("a message of %zu bytes is not a FeatureBatch", m.len);
		if (strcmp(fb->collector_id, cid) || n >= MAX_GOT) {
			xdpwatch__v1__feature_batch__free_unpacked(fb, NULL);
			continue;
		}
		out[n].fb = fb;
		out[n].len = m.len;
		snprintf(out[n].key, sizeof(out[n].key), "%.*s", (int)m.keylen,
			 (const char *)m.key);
		snprintf(out[n].schema, sizeof(out[n].schema), "%s",
			 m.schema ?: "");
		out[n].offset = m.offset;
		n++;
	}
	return n;
}

static void got_free(struct got *got, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xdpwatch__v1__feature_batch__free_unpacked(got[i].fb, NULL);
}

static int group_setup(void **state)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct xw_cfg_kv *kv = calloc(1, sizeof(*kv));
	char err[512];

	xw_log_set_level(XW_LOG_WARN);
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	g.mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!g.mock_rk || !kv) {
		fprintf(stderr, "mock handle: %s\n", err);
		return -1;
	}
	g.mc = rd_kafka_mock_cluster_new(g.mock_rk, 1);
	if (!g.mc ||
	    rd_kafka_mock_topic_create(g.mc, TOPIC, 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	snprintf(g.bootstraps, sizeof(g.bootstraps), "%s",
		 rd_kafka_mock_cluster_bootstraps(g.mc));

	props_set(kv, "bootstrap.servers", g.bootstraps);
	props_set(kv, "fetch.wait.max.ms", "20");
	if (xw_consumer__new(&g.c, kv, TOPIC, true, err, sizeof(err))) {
		fprintf(stderr, "xw_consumer__new: %s\n", err);
		free(kv);
		return -1;
	}
	free(kv);
	return 0;
}

static int group_teardown(void **state)
{
	xw_consumer__destroy(g.c);
	if (g.mc)
		rd_kafka_mock_cluster_destroy(g.mc);
	if (g.mock_rk)
		rd_kafka_destroy(g.mock_rk);
	return 0;
}

/* ---- records in, records out ------------------------------------------ */

#define BATCH_RATE 8

static struct xw_record rec_ipv4_tcp(uint64_t ts)
{
	struct xw_record r = {
		.ts_ns = ts,
		.saddr = { 192, 0, 2, 1 },
		.daddr = { 198, 51, 100, 7 },
		.ifindex = 2,
		.sample_rate = BATCH_RATE,
		.pkt_len = 1514,
		.rx_queue = 3,
		.sport = 40000,
		.dport = 443,
		.ip_len = 1500,
		.l4_payload_len = 1448,
		.tcp_window = 502,
		.ip_ver = 4,
		.l4_proto = IPPROTO_TCP,
		.tcp_flags = 0x18, /* PSH ACK */
		.ttl = 64,
		.tos = 0x28 << 2 | 1,
		.frag = XW_FRAG_DF,
		.action = XW_ACT_PASS,
		.flags = XW_REC_L4_VALID,
	};
	return r;
}

/* Every kind of record the proto must carry; field values all distinct. */
static void fill_kinds(struct xw_record *r, size_t *n, uint64_t t)
{
	struct xw_record x;
	size_t k = 0;

	/* IPv4 TCP, sampled at the batch's rate: sample_rate 0 on the wire. */
	r[k++] = rec_ipv4_tcp(t + 1000);

	/* IPv6 UDP, dropped by a rule; earliest record: the batch's base. */
	x = (struct xw_record){
		.ts_ns = t,
		.ifindex = 5,
		.rule_id = 77,
		.sample_rate = BATCH_RATE,
		.pkt_len = 162,
		.rx_queue = 11,
		.sport = 5353,
		.dport = 53,
		.ip_len = 148,
		.l4_payload_len = 100,
		.ip_ver = 6,
		.l4_proto = IPPROTO_UDP,
		.ttl = 255,
		.tos = 0xb8,
		.action = XW_ACT_DROP,
		.flags = XW_REC_L4_VALID,
	};
	inet_pton(AF_INET6, "2001:db8::1", x.saddr);
	inet_pton(AF_INET6, "2001:db8:ffff::abcd", x.daddr);
	r[k++] = x;

	/* ICMP echo request, monitor-only rule: type in sport, code in dport. */
	x = (struct xw_record){
		.ts_ns = t + 2500,
		.saddr = { 203, 0, 113, 9 },
		.daddr = { 10, 1, 2, 3 },
		.ifindex = 2,
		.rule_id = 12,
		.sample_rate = BATCH_RATE,
		.pkt_len = 98,
		.sport = 8,
		.dport = 0,
		.ip_len = 84,
		.l4_payload_len = 56,
		.ip_ver = 4,
		.l4_proto = IPPROTO_ICMP,
		.ttl = 1,
		.action = XW_ACT_MONITOR,
		.flags = XW_REC_L4_VALID,
	};
	r[k++] = x;

	/* ICMPv6 destination unreachable, code 4; allowlisted. */
	x = (struct xw_record){
		.ts_ns = t + 2600,
		.ifindex = 5,
		.rule_id = 13,
		.sample_rate = BATCH_RATE,
		.pkt_len = 1294,
		.sport = 1,
		.dport = 4,
		.ip_len = 1280,
		.l4_payload_len = 1232,
		.ip_ver = 6,
		.l4_proto = IPPROTO_ICMPV6,
		.ttl = 64,
		.action = XW_ACT_ALLOW,
		.flags = XW_REC_L4_VALID,
	};
	inet_pton(AF_INET6, "fe80::1", x.saddr);
	inet_pton(AF_INET6, "ff02::1:ff00:1", x.daddr);
	r[k++] = x;

	/* Not IP (ARP): no addresses, no L4. */
	x = (struct xw_record){
		.ts_ns = t + 3000,
		.ifindex = 2,
		.sample_rate = BATCH_RATE,
		.pkt_len = 60,
		.rx_queue = 1,
	};
	r[k++] = x;

	/* Parse error: IPv4 with a truncated TCP header. */
	x = rec_ipv4_tcp(t + 4000);
	x.pkt_len = 40;
	x.ip_len = 40;
	x.l4_payload_len = 0;
	x.sport = x.dport = 0;
	x.tcp_flags = 0;
	x.tcp_window = 0;
	x.flags = XW_REC_PARSE_ERROR;
	r[k++] = x;

	/* Inner headers of a VXLAN tunnel, QinQ tags, a first fragment. */
	x = rec_ipv4_tcp(t + 5000);
	x.tunnel = XW_TUN_VXLAN;
	x.vlan_id = 4094;
	x.vlan_count = 2;
	x.frag = XW_FRAG_MF;
	x.tcp_flags = 0x02; /* SYN */
	x.tcp_window = 64240;
	x.l4_payload_len = 0;
	r[k++] = x;

	/* GRE, later fragment of IPv6 (fragment header): no L4. */
	x = (struct xw_record){
		.ts_ns = t + 6000,
		.ifindex = 5,
		.sample_rate = BATCH_RATE,
		.pkt_len = 900,
		.rx_queue = 65535,
		.vlan_id = 100,
		.vlan_count = 1,
		.ip_len = 850,
		.ip_ver = 6,
		.l4_proto = IPPROTO_TCP,
		.ttl = 60,
		.tos = 3,
		.frag = XW_FRAG_LATER | XW_FRAG_V6HDR,
		.tunnel = XW_TUN_GRE,
	};
	inet_pton(AF_INET6, "2001:db8::10", x.saddr);
	inet_pton(AF_INET6, "2001:db8::20", x.daddr);
	r[k++] = x;

	/* Sampled at another rate than the batch's: it says so. */
	x = rec_ipv4_tcp(t + 7000);
	x.sample_rate = 64;
	x.tunnel = XW_TUN_GENEVE;
	r[k++] = x;

	/* And at 1 while the batch says 8. */
	x = rec_ipv4_tcp(t + 8000);
	x.sample_rate = 1;
	x.tunnel = XW_TUN_IPIP;
	r[k++] = x;

	*n = k;
}

/* Every field of pb is r's; the clock offset is within [off_lo, off_hi]. */
static void check_record(const Xdpwatch__V1__FeatureBatch *fb,
			 const Xdpwatch__V1__FeatureRecord *pb,
			 const struct xw_record *r, int64_t off_lo, int64_t off_hi)
{
	size_t alen = r->ip_ver == 4 ? 4 : r->ip_ver == 6 ? 16 : 0;
	int64_t off = (int64_t)(fb->time_base_unix_ns + pb->ts_offset_ns - r->ts_ns);

	/* The batcher reads the offset once per batch; allow 1 ms of drift. */
	if (off < off_lo - 1000000 || off > off_hi + 1000000)
		fail_msg("time_base + ts_offset - ts = %lld, want %lld..%lld",
			 (long long)off, (long long)off_lo, (long long)off_hi);
	assert_int_equal(pb->src.len, alen);
	assert_int_equal(pb->dst.len, alen);
	if (alen) {
		assert_memory_equal(pb->src.data, r->saddr, alen);
		assert_memory_equal(pb->dst.data, r->daddr, alen);
	}
	assert_int_equal(pb->l4_proto, r->l4_proto);
	assert_int_equal(pb->sport, r->sport);
	assert_int_equal(pb->dport, r->dport);
	assert_int_equal(pb->tcp_flags, r->tcp_flags);
	assert_int_equal(pb->ttl, r->ttl);
	assert_int_equal(pb->ip_len, r->ip_len);
	assert_int_equal(pb->l4_payload_len, r->l4_payload_len);
	assert_int_equal(pb->pkt_len, r->pkt_len);
	assert_int_equal(pb->ifindex, r->ifindex);
	assert_int_equal(pb->tcp_window, r->tcp_window);
	assert_int_equal(pb->action, r->action);
	assert_int_equal(pb->rule_id, r->rule_id);
	assert_int_equal(pb->ip_version, r->ip_ver);
	assert_int_equal(pb->tos, r->tos);
	assert_int_equal(pb->frag, r->frag);
	assert_int_equal(pb->vlan_id, r->vlan_id);
	assert_int_equal(pb->vlan_count, r->vlan_count);
	assert_int_equal(pb->tunnel, r->tunnel);
	assert_int_equal(pb->rx_queue, r->rx_queue);
	/* 0 on the wire when equal to the batch's; what a consumer scales by. */
	assert_int_equal(pb->sample_rate,
			 r->sample_rate == fb->sample_rate ? 0 : r->sample_rate);
	assert_int_equal(pb->sample_rate ?: fb->sample_rate, r->sample_rate);
	assert_int_equal(pb->parse_error, !!(r->flags & XW_REC_PARSE_ERROR));
}

static void check_batch_head(const struct got *g1, const char *cid,
			     uint64_t seq, uint32_t rate)
{
	const Xdpwatch__V1__FeatureBatch *fb = g1->fb;

	assert_int_equal(fb->schema_version, 1);
	assert_string_equal(fb->host_id, HOST_ID);
	assert_string_equal(fb->collector_id, cid);
	assert_int_equal(fb->sequence, seq);
	assert_int_equal(fb->sample_rate, rate);
	assert_string_equal(g1->key, HOST_ID);
	assert_string_equal(g1->schema, SCHEMA);
	assert_int_equal(fb->n_interfaces, 2);
	assert_int_equal(fb->interfaces[0]->ifindex, 2);
	assert_string_equal(fb->interfaces[0]->ifname, "eth0");
	assert_int_equal(fb->interfaces[1]->ifindex, 5);
	assert_string_equal(fb->interfaces[1]->ifname, "ens1f0");
	assert_non_null(fb->losses);
}

/* a. Every field of every kind of record survives the trip. */
static void test_round_trip(void **state)
{
	struct xw_record r[16];
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b;
	struct got got[MAX_GOT];
	int64_t off_lo, off_hi;
	size_t n, ngot;

	fill_kinds(r, &n, boot_ns());
	off_lo = xw_clock_offset_ns();
	b = batcher_new(p, 100, 1 << 20, 1000, BATCH_RATE);
	for (size_t i = 0; i < n; i++)
		xw_batcher__add(b, &r[i]);
	assert_int_equal(xw_batcher__flush(b), 0);
	off_hi = xw_clock_offset_ns();
	if (off_lo > off_hi) {
		int64_t t = off_lo;

		off_lo = off_hi;
		off_hi = t;
	}
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 1);
	assert_int_equal(ngot, 1);
	check_batch_head(&got[0], xw_batcher__collector_id(b), 1, BATCH_RATE);
	assert_int_equal(got[0].fb->n_records, n);
	assert_int_equal(got[0].fb->n_counters, 0);
	/* The earliest record is the base: its offset is 0. */
	assert_int_equal(got[0].fb->records[1]->ts_offset_ns, 0);
	for (size_t i = 0; i < n; i++)
		check_record(got[0].fb, got[0].fb->records[i], &r[i], off_lo, off_hi);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* b. max_records N: M records make ceil(M/N) batches of at most N. */
static void test_batch_by_count(void **state)
{
	const uint32_t N = 4, M = 10;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, N, 1 << 20, 60000, 1);
	struct got got[MAX_GOT];
	uint64_t t = boot_ns();
	size_t ngot, total = 0;

	for (uint32_t i = 0; i < M; i++) {
		struct xw_record r = rec_ipv4_tcp(t + i);

		r.sport = (uint16_t)(1000 + i);
		xw_batcher__add(b, &r);
	}
	/* Full batches went out by themselves; the rest waits for linger. */
	assert_int_equal(xw_batcher__sequence(b), M / N);
	assert_int_equal(xw_batcher__flush(b), 0);
	assert_int_equal(xw_batcher__flush(b), 0); /* nothing left: no batch */
	assert_int_equal(xw_batcher__sequence(b), (M + N - 1) / N);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, (M + N - 1) / N);
	assert_int_equal(ngot, (M + N - 1) / N);
	for (size_t i = 0; i < ngot; i++) {
		const Xdpwatch__V1__FeatureBatch *fb = got[i].fb;

		check_batch_head(&got[i], xw_batcher__collector_id(b), i + 1, 1);
		assert_true(fb->n_records >= 1 && fb->n_records <= N);
		/* In order, none lost, none repeated. */
		for (size_t j = 0; j < fb->n_records; j++)
			assert_int_equal(fb->records[j]->sport, 1000 + total + j);
		total += fb->n_records;
	}
	assert_int_equal(total, M);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* A record with every field at its widest; ts is left to the caller. */
static struct xw_record rec_widest(uint64_t ts)
{
	struct xw_record r;

	memset(&r, 0xff, sizeof(r));
	r.ts_ns = ts;
	r.ip_ver = 6; /* 16-byte addresses; 4 or 0 would carry fewer */
	r.flags = XW_REC_PARSE_ERROR;
	return r;
}

/* b. max_bytes: every message stays within it, even of the widest records. */
static void test_batch_by_bytes(void **state)
{
	const uint32_t max_bytes = 4096, M = 100;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b;
	struct got got[MAX_GOT];
	struct xw_batcher_opts o = {
		.max_records = 10000,
		.max_bytes = max_bytes,
		.linger_ms = 60000,
		.sample_rate = 1,
	};
	/* The longest host id a batch can carry. */
	char host[256];
	size_t ngot, total = 0;
	uint64_t want;

	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	o.host_id = host;
	assert_int_equal(xw_batcher__new(&b, &o, p, NULL, 0), 0);
	for (uint32_t i = 0; i < M; i++) {
		/* ts 0 and UINT64_MAX in every batch: 10-byte offsets. */
		struct xw_record r = rec_widest(i % 2 ? UINT64_MAX - i : i);

		xw_batcher__add(b, &r);
	}
	assert_int_equal(xw_batcher__flush(b), 0);
	want = xw_batcher__sequence(b);
	assert_true(want > 1 && want < MAX_GOT);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, want);
	assert_int_equal(ngot, want);
	for (size_t i = 0; i < ngot; i++) {
		if (got[i].len > max_bytes)
			fail_msg("batch %zu of %zu records packs to %zu bytes, over max_bytes %u",
				 i + 1, got[i].fb->n_records, got[i].len, max_bytes);
		assert_int_equal(got[i].fb->sequence, i + 1);
		total += got[i].fb->n_records;
	}
	assert_int_equal(total, M);
	/* Not needlessly small either: a widest record is under 140 bytes. */
	assert_true(got[0].fb->n_records >= (max_bytes - 512) / 140);
	printf("max_bytes %u: %zu batches, the first of %zu widest records in %zu bytes\n",
	       max_bytes, ngot, got[0].fb->n_records, got[0].len);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* b. Counters count against max_bytes too: records that would not fit
 * beside them leave first. */
static void test_batch_by_bytes_counters(void **state)
{
	const uint32_t max_bytes = 4096, M = 20;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, 10000, max_bytes, 60000, 1);
	struct xw_counters c = { 0 };
	struct xw_counters_pb *cpb = calloc(1, sizeof(*cpb));
	Xdpwatch__V1__InterfaceCounters *ptrs[1];
	struct got got[MAX_GOT];
	size_t ngot;

	assert_non_null(cpb);
	/* Some 1.5 kB of counters. */
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i += 2)
		c.traffic[i] = (struct xw_counter){ UINT64_MAX / 3, UINT64_MAX / 2 };
	for (uint32_t ev = XW_EV_NONE + 1; ev < XW_EV_COUNT; ev += 2)
		c.events[ev] = UINT64_MAX / 5;
	xw_counters__to_pb(&c, 2, "eth0", cpb);
	ptrs[0] = &cpb->ic;

	for (uint32_t i = 0; i < M; i++) {
		struct xw_record r = rec_widest(i % 2 ? UINT64_MAX - i : i);

		xw_batcher__add(b, &r);
	}
	assert_int_equal(xw_batcher__sequence(b), 0); /* 20 fit alone */
	xw_batcher__set_counters(b, ptrs, 1, 0);
	assert_int_equal(xw_batcher__sequence(b), 1); /* not with counters */
	xw_batcher__tick(b, mono_ms());
	assert_int_equal(xw_batcher__sequence(b), 2);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 2);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].fb->n_records, M);
	assert_int_equal(got[0].fb->n_counters, 0);
	assert_int_equal(got[1].fb->n_records, 0);
	assert_int_equal(got[1].fb->n_counters, 1);
	for (size_t i = 0; i < ngot; i++)
		if (got[i].len > max_bytes)
			fail_msg("batch %zu packs to %zu bytes, over max_bytes %u",
				 i + 1, got[i].len, max_bytes);
	got_free(got, ngot);
	free(cpb);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* b. A batch leaves by time only once its oldest record waited linger_ms. */
static void test_batch_by_time(void **state)
{
	const uint32_t linger = 200;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, 1000, 1 << 20, linger, 1);
	struct xw_record r = rec_ipv4_tcp(boot_ns());
	struct got got[MAX_GOT];
	uint64_t t0, t1;
	size_t ngot;

	xw_batcher__tick(b, mono_ms() + 10 * linger); /* empty: nothing */
	assert_int_equal(xw_batcher__sequence(b), 0);

	t0 = mono_ms();
	xw_batcher__add(b, &r);
	xw_batcher__add(b, &r);
	t1 = mono_ms(); /* the oldest record arrived in [t0, t1] */
	xw_batcher__tick(b, t1);
	xw_batcher__tick(b, t0 + linger - 1);
	/* A clock read a millisecond early is not "linger_ms ago". */
	xw_batcher__tick(b, t0 - 1);
	assert_int_equal(xw_batcher__sequence(b), 0);
	xw_batcher__tick(b, t1 + linger);
	assert_int_equal(xw_batcher__sequence(b), 1);
	/* The clock restarts with the next record. */
	t0 = mono_ms();
	xw_batcher__add(b, &r);
	xw_batcher__tick(b, t0 + linger - 1);
	assert_int_equal(xw_batcher__sequence(b), 1);
	xw_batcher__tick(b, mono_ms() + linger);
	assert_int_equal(xw_batcher__sequence(b), 2);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 2);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].fb->n_records, 2);
	assert_int_equal(got[1].fb->n_records, 1);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* The headers of the message at offset, read with a plain assign(). */
static void check_headers_at(int64_t offset)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_headers_t *h = NULL;
	rd_kafka_message_t *m = NULL;
	const void *v;
	size_t vlen;
	char err[512];
	uint64_t deadline = mono_ms() + READ_TIMEOUT_MS;
	rd_kafka_t *rk;

	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", g.bootstraps,
					   err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(conf, "group.id", "test-batcher-headers",
					   err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	assert_non_null(rk);
	rd_kafka_poll_set_consumer(rk);
	tp = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tp, TOPIC, 0)->offset = offset;
	assert_int_equal(rd_kafka_assign(rk, tp), 0);
	rd_kafka_topic_partition_list_destroy(tp);
	while (mono_ms() < deadline) {
		m = rd_kafka_consumer_poll(rk, 50);
		if (m && !m->err)
			break;
		if (m)
			rd_kafka_message_destroy(m);
		m = NULL;
	}
	assert_non_null(m);
	assert_int_equal(m->offset, offset);
	assert_int_equal(rd_kafka_message_headers(m, &h), 0);
	assert_int_equal(rd_kafka_header_cnt(h), 2);
	assert_int_equal(rd_kafka_header_get(h, 0, "schema", &v, &vlen), 0);
	assert_int_equal(vlen, strlen(SCHEMA));
	assert_memory_equal(v, SCHEMA, vlen);
	assert_int_equal(rd_kafka_header_get(h, 0, "schema_version", &v, &vlen), 0);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "1", 1);
	rd_kafka_message_destroy(m);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

/* c. Sequence 1..K, one collector id, host id, schema, key and headers. */
static void test_batch_identity(void **state)
{
	const size_t K = 5;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, 2, 1 << 20, 60000, 3);
	const char *cid = xw_batcher__collector_id(b);
	struct xw_batcher *b2 = batcher_new(p, 2, 1 << 20, 60000, 3);
	struct xw_record r = rec_ipv4_tcp(boot_ns());
	struct got got[MAX_GOT];
	size_t ngot;

	assert_int_equal(strlen(cid), 32);
	assert_int_equal(strspn(cid, "0123456789abcdef"), 32);
	/* Random per start. */
	assert_string_not_equal(cid, xw_batcher__collector_id(b2));
	for (size_t i = 0; i < 2 * K; i++)
		xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__sequence(b), K);
	producer_drain(p);

	ngot = read_batches(cid, got, K);
	assert_int_equal(ngot, K);
	for (size_t i = 0; i < K; i++) {
		check_batch_head(&got[i], cid, i + 1, 3);
		assert_int_equal(got[i].fb->n_records, 2);
		/* What came before this batch, as losses says. */
		assert_int_equal(got[i].fb->losses->batches_produced, i);
		assert_int_equal(got[i].fb->losses->records_produced, 2 * i);
	}
	check_headers_at(got[0].offset);
	check_headers_at(got[K - 1].offset);
	got_free(got, ngot);
	xw_batcher__destroy(b2);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* d. A full queue refuses a batch: counted, no sequence number taken. */
static void test_queue_full_losses(void **state)
{
	static const char *const props[] = {
		"queue.buffering.max.messages", "2",
		"linger.ms", "60000", /* nothing leaves until the flush */
		NULL,
	};
	struct xw_producer *p = producer_new(props);
	struct xw_batcher *b = batcher_new(p, 100, 1 << 20, 60000, 1);
	const struct xw_producer_stats *ps;
	struct xw_record r = rec_ipv4_tcp(boot_ns());
	struct got got[MAX_GOT];
	size_t ngot;

	for (int i = 0; i < 2; i++) { /* batches of 1 and 2 records */
		for (int j = 0; j <= i; j++)
			xw_batcher__add(b, &r);
		assert_int_equal(xw_batcher__flush(b), 0);
	}
	assert_int_equal(xw_batcher__sequence(b), 2);

	for (int j = 0; j < 3; j++)
		xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__flush(b), -ENOBUFS);
	for (int j = 0; j < 5; j++)
		xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__flush(b), -ENOBUFS);
	assert_int_equal(xw_batcher__sequence(b), 2);
	ps = xw_producer__stats(p);
	assert_int_equal(ps->msgs_queue_full, 2);
	assert_int_equal(ps->records_queue_full, 8);
	assert_int_equal(ps->msgs_produced, 2);
	assert_int_equal(ps->records_produced, 3);

	/* The queue drains; the next batch reports what was lost. */
	producer_drain(p);
	xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__flush(b), 0);
	assert_int_equal(xw_batcher__sequence(b), 3);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 3);
	assert_int_equal(ngot, 3);
	for (size_t i = 0; i < ngot; i++)
		assert_int_equal(got[i].fb->sequence, i + 1); /* no gap */
	assert_int_equal(got[0].fb->n_records, 1);
	assert_int_equal(got[1].fb->n_records, 2);
	assert_int_equal(got[2].fb->n_records, 1);
	assert_int_equal(got[1].fb->losses->records_lost_queue_full, 0);
	assert_int_equal(got[1].fb->losses->batches_lost_queue_full, 0);
	assert_int_equal(got[2].fb->losses->records_lost_queue_full, 8);
	assert_int_equal(got[2].fb->losses->batches_lost_queue_full, 2);
	assert_int_equal(got[2].fb->losses->batches_produced, 2);
	assert_int_equal(got[2].fb->losses->records_produced, 3);
	assert_int_equal(got[2].fb->losses->batches_delivery_failed, 0);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* e. Counters ride in the next batch only, or alone when there is none. */
static void test_counters_once(void **state)
{
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, 100, 1 << 20, 60000, 1);
	struct xw_record r = rec_ipv4_tcp(boot_ns());
	struct xw_counters c = { 0 };
	struct xw_counters_pb *cpb = calloc(1, sizeof(*cpb));
	Xdpwatch__V1__InterfaceCounters *ptrs[1];
	const Xdpwatch__V1__InterfaceCounters *ic;
	struct got got[MAX_GOT];
	size_t ngot;

	assert_non_null(cpb);
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_TCP, XW_ACT_PASS)] =
		(struct xw_counter){ 1000, 900000 };
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_6, XW_L4_UDP, XW_ACT_DROP)] =
		(struct xw_counter){ 7, 700 };
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_NONE, XW_L4_OTHER, XW_ACT_PASS)] =
		(struct xw_counter){ 3, 180 };
	c.events[XW_EV_TCP_TRUNC] = 2;
	c.events[XW_EV_RECORD_SAMPLED] = 1010;
	c.events[XW_EV_RECORD_LOST_RINGBUF_FULL] = 4;
	xw_counters__to_pb(&c, 2, "eth0", cpb);
	ptrs[0] = &cpb->ic;

	xw_batcher__set_counters(b, ptrs, 1, 4);
	xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__flush(b), 0); /* 1: record + counters */
	xw_batcher__add(b, &r);
	assert_int_equal(xw_batcher__flush(b), 0); /* 2: record only */
	xw_batcher__tick(b, mono_ms()); /* nothing pending: no batch */
	assert_int_equal(xw_batcher__sequence(b), 2);
	xw_batcher__set_counters(b, ptrs, 1, 4);
	xw_batcher__tick(b, mono_ms()); /* 3: counters alone, right away */
	xw_batcher__tick(b, mono_ms());
	assert_int_equal(xw_batcher__sequence(b), 3);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 3);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[0].fb->n_records, 1);
	assert_int_equal(got[0].fb->n_counters, 1);
	assert_int_equal(got[1].fb->n_records, 1);
	assert_int_equal(got[1].fb->n_counters, 0);
	assert_int_equal(got[2].fb->n_records, 0);
	assert_int_equal(got[2].fb->n_counters, 1);
	assert_int_equal(got[2].fb->time_base_unix_ns, 0);
	/* Cumulative: every batch carries the last ring buffer loss. */
	for (size_t i = 0; i < ngot; i++)
		assert_int_equal(got[i].fb->losses->records_ringbuf_full, 4);

	ic = got[0].fb->counters[0];
	assert_int_equal(ic->ifindex, 2);
	assert_string_equal(ic->ifname, "eth0");
	/* Non-zero slots only, in slot order. */
	assert_int_equal(ic->n_traffic, 3);
	assert_int_equal(ic->traffic[0]->ip_version, 0);
	assert_string_equal(ic->traffic[0]->l4, "other");
	assert_int_equal(ic->traffic[0]->action, XDPWATCH__V1__ACTION__ACTION_PASS);
	assert_int_equal(ic->traffic[0]->packets, 3);
	assert_int_equal(ic->traffic[0]->bytes, 180);
	assert_int_equal(ic->traffic[1]->ip_version, 4);
	assert_string_equal(ic->traffic[1]->l4, "tcp");
	assert_int_equal(ic->traffic[1]->action, XDPWATCH__V1__ACTION__ACTION_PASS);
	assert_int_equal(ic->traffic[1]->packets, 1000);
	assert_int_equal(ic->traffic[1]->bytes, 900000);
	assert_int_equal(ic->traffic[2]->ip_version, 6);
	assert_string_equal(ic->traffic[2]->l4, "udp");
	assert_int_equal(ic->traffic[2]->action, XDPWATCH__V1__ACTION__ACTION_DROP);
	assert_int_equal(ic->traffic[2]->packets, 7);
	assert_int_equal(ic->traffic[2]->bytes, 700);
	assert_int_equal(ic->n_events, 3);
	assert_string_equal(ic->events[0]->name, xw_event_name(XW_EV_TCP_TRUNC));
	assert_int_equal(ic->events[0]->count, 2);
	assert_string_equal(ic->events[1]->name, "records_sampled");
	assert_int_equal(ic->events[1]->count, 1010);
	assert_string_equal(ic->events[2]->name, "records_lost_ringbuf_full");
	assert_int_equal(ic->events[2]->count, 4);
	got_free(got, ngot);
	free(cpb);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* ---- encoded size -------------------------------------------------------- */

/* Bytes a record takes inside a batch: its tag, its length, itself. */
static size_t in_batch_size(const Xdpwatch__V1__FeatureRecord *pb)
{
	size_t len = xdpwatch__v1__feature_record__get_packed_size(pb);

	return 1 + (len < 128 ? 1 : len < 16384 ? 2 : 3) + len;
}

/*
 * 2. What a typical record costs: IPv4 TCP at sampling 1, 1000 of them
 * within 100 ms from a few clients, in one batch.
 */
static void test_encoded_size(void **state)
{
	const uint32_t M = 1000;
	struct xw_producer *p = producer_new(NULL);
	struct xw_batcher *b = batcher_new(p, M, 1 << 20, 60000, 1);
	struct got got[MAX_GOT];
	uint64_t t = boot_ns();
	size_t ngot, empty, per_record = 0;

	for (uint32_t i = 0; i < M; i++) {
		struct xw_record r = rec_ipv4_tcp(t + i * 100000ull);

		r.sample_rate = 1;
		r.saddr[3] = (uint8_t)(i % 50);
		r.sport = (uint16_t)(32768 + (i * 7919) % 28000);
		r.rx_queue = i % 8;
		r.tos = 0;
		if (i % 3 == 2) { /* every third one a bare ACK */
			r.pkt_len = 66;
			r.ip_len = 52;
			r.l4_payload_len = 0;
			r.tcp_flags = 0x10;
		}
		xw_batcher__add(b, &r);
	}
	assert_int_equal(xw_batcher__sequence(b), 1); /* full at M */
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 1);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].fb->n_records, M);
	for (size_t i = 0; i < M; i++) {
		size_t s = xdpwatch__v1__feature_record__get_packed_size(
			got[0].fb->records[i]);

		assert_true(s < XW_PB_RECORD_MAX);
		per_record += in_batch_size(got[0].fb->records[i]);
	}
	/* The same batch without its records: what is left is theirs. */
	got[0].fb->n_records = 0;
	empty = xdpwatch__v1__feature_batch__get_packed_size(got[0].fb);
	got[0].fb->n_records = M;
	assert_int_equal(got[0].len - empty, per_record);
	printf("typical IPv4 TCP record at sampling 1: %.1f bytes in a batch of %u "
	       "(%zu bytes; XW_PB_RECORD_MAX %d)\n",
	       (double)per_record / M, M, got[0].len, XW_PB_RECORD_MAX);
	assert_true(per_record / M < XW_PB_RECORD_MAX);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

/* 2. XW_PB_RECORD_MAX bounds a record with every field at its widest. */
static void test_record_max_bound(void **state)
{
	struct xw_producer *p = producer_new(NULL);
	/* 1-in-1 for the batch: every record's own rate, UINT32_MAX, is sent. */
	struct xw_batcher *b = batcher_new(p, 100, 1 << 20, 60000, 1);
	struct xw_record r[4];
	struct got got[MAX_GOT];
	size_t ngot, widest = 0;

	r[0] = rec_widest(0); /* the base: offset 0 */
	r[1] = rec_widest(UINT64_MAX); /* offset UINT64_MAX: 10 bytes */
	r[2] = rec_widest(UINT64_MAX);
	r[2].ip_ver = 4;
	r[3] = rec_widest(UINT64_MAX);
	r[3].ip_ver = 0xff; /* not 4 or 6: no addresses, wider ip_version */
	for (size_t i = 0; i < XW_ARRAY_SIZE(r); i++)
		xw_batcher__add(b, &r[i]);
	assert_int_equal(xw_batcher__flush(b), 0);
	producer_drain(p);

	ngot = read_batches(xw_batcher__collector_id(b), got, 1);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].fb->n_records, XW_ARRAY_SIZE(r));
	for (size_t i = 0; i < XW_ARRAY_SIZE(r); i++) {
		const Xdpwatch__V1__FeatureRecord *pb = got[0].fb->records[i];
		size_t s = xdpwatch__v1__feature_record__get_packed_size(pb);

		if (s > XW_PB_RECORD_MAX)
			fail_msg("record %zu packs to %zu bytes, over XW_PB_RECORD_MAX %d",
				 i, s, XW_PB_RECORD_MAX);
		if (s > widest)
			widest = s;
		assert_int_equal(pb->sample_rate, UINT32_MAX);
		assert_int_equal(pb->rule_id, UINT32_MAX);
		assert_int_equal(pb->pkt_len, UINT32_MAX);
	}
	assert_int_equal(got[0].fb->records[1]->ts_offset_ns, UINT64_MAX);
	printf("widest record: %zu bytes (%zu in a batch); XW_PB_RECORD_MAX %d\n",
	       widest, in_batch_size(got[0].fb->records[1]), XW_PB_RECORD_MAX);
	/* A bound, and a tight one: the widest record reaches it. */
	assert_int_equal(widest, XW_PB_RECORD_MAX);
	got_free(got, ngot);
	xw_batcher__destroy(b);
	xw_producer__destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_batch_by_count),
		cmocka_unit_test(test_batch_by_bytes),
		cmocka_unit_test(test_batch_by_bytes_counters),
		cmocka_unit_test(test_batch_by_time),
		cmocka_unit_test(test_batch_identity),
		cmocka_unit_test(test_queue_full_losses),
		cmocka_unit_test(test_counters_once),
		cmocka_unit_test(test_encoded_size),
		cmocka_unit_test(test_record_max_bound),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
