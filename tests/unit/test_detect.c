// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_detect.c - the detector's modules end to end on synthetic traffic:
 * FeatureBatch messages built with protobuf-c (chosen records, event
 * times, sample rates, exact counters) go through xw_ingest__batch into a
 * xw_dtable; every 250 ms slot the table is ticked and each heavy entry
 * evaluated by xw_attacks__eval, as detector/main.c's tick() does. The
 * ops callbacks keep every verdict message and alert in arrays the tests
 * inspect. Then the detector's settings (dconfig.c) through set/finish.
 *
 * Time: slot s covers unix ms [s * 250, (s + 1) * 250); the batch for a
 * slot carries that slot's start as its time base, and the tick after it
 * runs at the slot's end. A deterministic PRNG makes every run the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "attacks.h"
#include "dconfig.h"
#include "dtable.h"
#include "ingest.h"
#include "log.h"
#include "xdpwatch/v1/features.pb-c.h"

#include "testhelp.h"

#define HOST "host-a"
#define SLOT0 6800000000ULL /* 2023-11-14, in 250 ms slots */
#define NS_PER_MS 1000000ULL

/* ---- a small deterministic PRNG (xorshift64*) ---- */

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd64() % n);
}

/* ---- addresses ---- */

static void v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static void v6(uint8_t out[16], const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

/* ---- traffic: flows, sampled into records ---- */

struct flow {
	uint8_t ipver; /* 4 or 6 */
	uint8_t dst[16];
	unsigned int ndst; /* spread over this many addresses from dst: last byte + i */
	uint8_t l4, tcp_flags, frag;
	uint16_t sport, dport; /* 0: random (sport from 40000 up) */
	uint32_t ip_len, payload;
	unsigned int nsrc; /* 0: a random source per packet */
	const uint8_t (*srcs)[16];
	double pps;
};

/* How a host samples and what else its batches say. */
struct sampling {
	uint32_t keep_every; /* keep 1 of this many packets (0, 1: all) */
	bool random; /* keep each with probability 1/keep_every */
	uint32_t sample_rate; /* what the records say */
	bool counters; /* exact cumulative counters in every batch */
};

struct verdicts {
	struct xw_verdict_msg *m;
	unsigned int n, cap;
};

struct alerts {
	struct xw_alert *a;
	unsigned int n, cap;
};

struct h {
	struct xw_dtable_opts to;
	struct xw_ingest_opts io;
	struct xw_attacks_opts ao;
	struct xw_thresholds th;
	struct xw_prefix allow[4];
	struct xw_dtable *t;
	struct xw_ingest *g;
	struct xw_attacks *a;
	struct verdicts v;
	struct alerts al;
	uint64_t slot, seq;
	double carry[8]; /* fractional packets per flow */
	uint64_t exact[3][5]; /* cumulative packets: [ipver idx][l4 idx] */
	int fail_verdicts; /* the verdict callback fails */
};

static int on_verdict(void *ctx, const struct xw_verdict_msg *m)
{
	struct h *h = ctx;

	if (h->fail_verdicts)
		return -EIO;
	if (h->v.n == h->v.cap) {
		h->v.cap = h->v.cap ? 2 * h->v.cap : 16;
		h->v.m = realloc(h->v.m, h->v.cap * sizeof(*h->v.m));
		assert_non_null(h->v.m);
	}
	h->v.m[h->v.n++] = *m;
	return 0;
}

static void on_alert(void *ctx, const struct xw_alert *a)
{
	struct h *h = ctx;

	if (h->al.n == h->al.cap) {
		h->al.cap = h->al.cap ? 2 * h->al.cap : 16;
		h->al.a = realloc(h->al.a, h->al.cap * sizeof(*h->al.a));
		assert_non_null(h->al.a);
	}
	h->al.a[h->al.n++] = *a;
}

static const char *on_host_name(void *ctx, uint16_t host)
{
	struct h *h = ctx;

	return xw_ingest__host_name(h->g, host);
}

/* The settings every test starts from; a test changes what it needs and
 * then calls start(). */
static struct h *h_new(void)
{
	struct h *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->to = (struct xw_dtable_opts){
		.max_dsts = 100000,
		.max_heavy = 1024,
		.watch_pps = 500,
		.idle_s = 60,
		.baseline_alpha = 0.05,
	};
	h->io = (struct xw_ingest_opts){ .carpet_v4 = 24, .carpet_v6 = 64,
					 .max_hosts = 16 };
	h->ao = (struct xw_attacks_opts){
		.start_slots = 2,
		.end_hold_ms = 2000,
		.end_ratio = 0.5,
		.update_ms = 5000,
		.renew_ms = 20000,
		.max_live = 256,
		.carpet_min_dsts = 16,
		.carpet_top_share = 0.5,
		.learn = { .k = 4, .factor = 3, .warm_slots = 40,
			   .spoof_sources = 256, .top_share = 0.5 },
		.plan = { .max_sources = 6, .hh_share = 0.8, .hh_min_share = 0.05,
			  .port_share = 0.8, .rate_factor = 1, .ttl_s = 60,
			  .allow = h->allow },
		.detector = "detector@test",
	};
	for (int c = 1; c < XW_ATTACK_COUNT; c++)
		h->th.pps[c] = 2000;
	h->th.pps[XW_ATTACK_UDP_FLOOD] = 5000;
	h->th.pps[XW_ATTACK_MEMCACHED_REFLECTION] = 1000;
	h->th.pps[XW_ATTACK_CARPET_BOMBING] = 0;
	h->slot = SLOT0;
	h->seq = 1;
	return h;
}

static void start(struct h *h)
{
	static const struct xw_attacks_ops ops = {
		.verdict = on_verdict,
		.alert = on_alert,
		.host_name = on_host_name,
	};

	assert_int_equal(xw_dtable_new(&h->t, &h->to), 0);
	assert_int_equal(xw_ingest__new(&h->g, &h->io, h->t, NULL, NULL), 0);
	assert_int_equal(xw_attacks__new(&h->a, &h->ao, &ops, h), 0);
}

static void h_free(struct h *h)
{
	xw_attacks__free(h->a);
	xw_ingest__free(h->g);
	xw_dtable_free(h->t);
	free(h->v.m);
	free(h->al.a);
	free(h);
}

static unsigned int l4x_of(uint8_t l4, uint8_t frag)
{
	/* As the kernel counts: a later fragment is "other". */
	if (frag & 0x04)
		return XW_FB_L4_OTHER;
	switch (l4) {
	case IPPROTO_TCP:
		return XW_FB_L4_TCP;
	case IPPROTO_UDP:
		return XW_FB_L4_UDP;
	case IPPROTO_ICMP:
		return XW_FB_L4_ICMP;
	case IPPROTO_ICMPV6:
		return XW_FB_L4_ICMPV6;
	default:
		return XW_FB_L4_OTHER;
	}
}

static const char *const l4_names[] = { "tcp", "udp", "icmp", "icmpv6", "other" };

/* A batch under construction: protobuf-c records and their addresses. */
struct batch {
	Xdpwatch__V1__FeatureRecord *r;
	uint8_t (*addr)[32];
	size_t n, cap;
};

static Xdpwatch__V1__FeatureRecord *batch_add(struct batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->r = realloc(b->r, b->cap * sizeof(*b->r));
		b->addr = realloc(b->addr, b->cap * sizeof(*b->addr));
		assert_non_null(b->r);
		assert_non_null(b->addr);
	}
	xdpwatch__v1__feature_record__init(&b->r[b->n]);
	return &b->r[b->n++];
}

/* Pack the batch for a slot and hand it to ingest; returns its return. */
static int batch_send(struct h *h, struct batch *b, uint64_t slot,
		      const struct sampling *s, uint64_t seq)
{
	Xdpwatch__V1__FeatureBatch fb = XDPWATCH__V1__FEATURE_BATCH__INIT;
	Xdpwatch__V1__InterfaceCounters ic = XDPWATCH__V1__INTERFACE_COUNTERS__INIT;
	Xdpwatch__V1__InterfaceCounters *icp = &ic;
	Xdpwatch__V1__TrafficCounter tc[10], *tcp[10];
	Xdpwatch__V1__FeatureRecord **rp = calloc(b->n + 1, sizeof(*rp));
	size_t len, ntc = 0;
	uint8_t *buf;
	int ret;

	assert_non_null(rp);
	for (size_t i = 0; i < b->n; i++) {
		uint8_t alen = b->r[i].ip_version == 6 ? 16 : 4;

		b->r[i].src.data = b->addr[i];
		b->r[i].src.len = alen;
		b->r[i].dst.data = b->addr[i] + 16;
		b->r[i].dst.len = alen;
		b->r[i].ts_offset_ns = i * (XW_SLOT_MS * NS_PER_MS) / (b->n + 1);
		rp[i] = &b->r[i];
	}
	fb.schema_version = 1;
	fb.host_id = HOST;
	fb.collector_id = "collector-1";
	fb.sequence = seq;
	fb.time_base_unix_ns = slot * XW_SLOT_MS * NS_PER_MS;
	fb.sample_rate = s && s->sample_rate ? s->sample_rate : 1;
	fb.n_records = b->n;
	fb.records = rp;
	if (s && s->counters) {
		for (unsigned int v = 1; v < 3; v++)
			for (unsigned int l = 0; l < 5; l++) {
				xdpwatch__v1__traffic_counter__init(&tc[ntc]);
				tc[ntc].ip_version = v == 1 ? 4 : 6;
				tc[ntc].l4 = (char *)l4_names[l];
				tc[ntc].packets = h->exact[v][l];
				tcp[ntc] = &tc[ntc];
				ntc++;
			}
		ic.ifindex = 2;
		ic.n_traffic = ntc;
		ic.traffic = tcp;
		fb.n_counters = 1;
		fb.counters = &icp;
	}
	len = xdpwatch__v1__feature_batch__get_packed_size(&fb);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(xdpwatch__v1__feature_batch__pack(&fb, buf), len);
	ret = xw_ingest__batch(h->g, buf, len, 0);
	free(buf);
	free(rp);
	b->n = 0;
	return ret;
}

/* The records one slot of the flows makes, sampled as s says. */
static void flows_slot(struct h *h, struct batch *b, const struct flow *f,
		       unsigned int nf, const struct sampling *s)
{
	uint32_t every = s && s->keep_every > 1 ? s->keep_every : 1;

	for (unsigned int i = 0; i < nf; i++) {
		double want = f[i].pps * XW_SLOT_MS / 1000.0 + h->carry[i];
		uint64_t n = (uint64_t)want;

		h->carry[i] = want - (double)n;
		h->exact[f[i].ipver == 6 ? 2 : 1][l4x_of(f[i].l4, f[i].frag)] += n;
		for (uint64_t p = 0; p < n; p++) {
			Xdpwatch__V1__FeatureRecord *r;
			uint8_t *a;

			if (every > 1 &&
			    (s->random ? rnd_below(every) != 0 : p % every != 0))
				continue;
			r = batch_add(b);
			a = b->addr[b->n - 1];
			r->ip_version = f[i].ipver;
			r->l4_proto = f[i].l4;
			r->tcp_flags = f[i].tcp_flags;
			r->frag = f[i].frag;
			r->ip_len = f[i].ip_len ? f[i].ip_len : 60;
			r->l4_payload_len = f[i].payload;
			r->pkt_len = r->ip_len + 14;
			r->ttl = 64;
			r->sport = f[i].sport ? f[i].sport : 40000 + rnd_below(20000);
			r->dport = f[i].dport ? f[i].dport : 1024 + rnd_below(60000);
			if (f[i].nsrc) {
				memcpy(a, f[i].srcs[p % f[i].nsrc], 16);
			} else if (f[i].ipver == 6) {
				uint64_t x = rnd64(), y = rnd64();

				v6(a, "2001:db8:ff00::");
				memcpy(a + 6, &x, 2);
				memcpy(a + 8, &y, 8);
			} else {
				uint32_t x = (uint32_t)rnd64();

				memcpy(a, &x, 4);
				a[0] = 100 + a[0] % 100; /* no 0.x, no multicast */
				memset(a + 4, 0, 12);
			}
			memcpy(a + 16, f[i].dst, 16);
			if (f[i].ndst > 1)
				a[16 + (f[i].ipver == 6 ? 15 : 3)] +=
					(uint8_t)(p % f[i].ndst);
		}
	}
}

/* What detector/main.c's tick() does, at the end of slot. */
static void tick(struct h *h, uint64_t slot)
{
	uint64_t now_ms = (slot + 1) * XW_SLOT_MS;
	struct xw_dst *const *heavy;
	unsigned int n;

	xw_dtable_tick(h->t, slot, now_ms, NULL, NULL);
	heavy = xw_dtable_heavy(h->t, &n);
	for (unsigned int i = 0; i < n; i++)
		xw_attacks__eval(h->a, heavy[i], &h->th, now_ms * NS_PER_MS,
				 now_ms);
}

/* nslots slots of the flows: a batch each, then a tick. */
static void run(struct h *h, const struct flow *f, unsigned int nf,
		const struct sampling *s, unsigned int nslots)
{
	struct batch b = { 0 };

	for (unsigned int i = 0; i < nslots; i++, h->slot++) {
		flows_slot(h, &b, f, nf, s);
		if (b.n || (s && s->counters))
			assert_int_equal(batch_send(h, &b, h->slot, s, h->seq++), 0);
		tick(h, h->slot);
	}
	free(b.r);
	free(b.addr);
}

/* Silence: ticks only. */
static void quiet(struct h *h, unsigned int nslots)
{
	for (unsigned int i = 0; i < nslots; i++, h->slot++)
		tick(h, h->slot);
}

/* ---- what came out ---- */

static unsigned int count_alerts(const struct h *h, enum xw_alert_phase ph)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < h->al.n; i++)
		n += h->al.a[i].phase == ph;
	return n;
}

static const struct xw_alert *first_alert(const struct h *h,
					  enum xw_alert_phase ph)
{
	for (unsigned int i = 0; i < h->al.n; i++)
		if (h->al.a[i].phase == ph)
			return &h->al.a[i];
	return NULL;
}

static unsigned int count_verdicts(const struct h *h, enum xw_verdict_kind k)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < h->v.n; i++)
		n += h->v.m[i].kind == k;
	return n;
}

static struct xw_dst *dst_of(struct h *h, const uint8_t addr[16], uint8_t family,
			     uint8_t len)
{
	struct xw_dkey k = { .family = family, .len = len };

	memcpy(k.addr, addr, family == 6 ? 16 : 4);
	return xw_dtable_get(h->t, &k);
}

static double window_of(struct h *h, const uint8_t addr[16], uint8_t family,
			enum xw_metric m)
{
	struct xw_window w;

	xw_dst_window(dst_of(h, addr, family, family == 6 ? 128 : 32), &w);
	return w.m[m];
}

/* The verdict's match is exactly this. */
static void check_verdict(const struct xw_verdict_msg *m, uint8_t action,
			  int family, const uint8_t *dst, uint8_t dlen,
			  uint8_t srclen, uint8_t l4, uint16_t sport,
			  uint16_t dport)
{
	unsigned int alen = family == AF_INET6 ? 16 : 4;

	assert_int_equal(m->kind, XW_VERDICT_KIND_VERDICT);
	assert_int_equal(m->v.action, action);
	assert_int_equal(m->v.dst.family, family);
	assert_int_equal(m->v.dst.len, dlen);
	assert_memory_equal(m->v.dst.addr, dst, alen);
	assert_int_equal(m->v.src.len, srclen);
	assert_int_equal(m->v.l4_proto, l4);
	assert_int_equal(m->v.sport, sport);
	assert_int_equal(m->v.dport, dport);
	assert_int_equal(m->v.ttl_s, 60);
	assert_string_equal(m->issuer, "detector@test");
	assert_true(xw_rule_id_valid(m->rule_id));
	/* Targets: the host that saw it. */
	assert_false(m->v.all_hosts);
	assert_int_equal(m->v.nhosts, 1);
	assert_string_equal(m->v.hosts[0], HOST);
}

/* ---- 1. spoofed SYN flood ---- */

static void test_syn_flood_spoofed(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000 };
	const struct xw_alert *a;

	v4(f.dst, 198, 51, 100, 10);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	a = first_alert(h, XW_ALERT_START);
	assert_int_equal(a->cls, XW_ATTACK_SYN_FLOOD);
	assert_int_equal(a->vector, XW_ATTACK_SYN_FLOOD);
	assert_true(a->spoofed);
	assert_int_equal(a->victim.len, 32);
	assert_memory_equal(a->victim.addr, f.dst, 4);
	assert_int_equal(a->l4_proto, IPPROTO_TCP);
	assert_int_equal(a->threshold_pps, 2000);
	assert_true(a->distinct_sources > 1000);
	assert_int_equal(a->nhosts, 1);
	assert_string_equal(a->hosts[0], HOST);
	assert_int_equal(a->nrules, 1);
	/* One rate limit toward the victim, to the port it all goes to. */
	assert_int_equal(h->v.n, 1);
	check_verdict(&h->v.m[0], XW_VERDICT_RATE_LIMIT, AF_INET, f.dst, 32, 0,
		      IPPROTO_TCP, 0, 80);
	assert_int_equal(h->v.m[0].v.rate_pps, 2000);
	assert_string_equal(a->rule_ids[0], h->v.m[0].rule_id);
	assert_int_equal(xw_attacks__stats(h->a)->active, 1);
	assert_int_equal(xw_attacks__stats(h->a)->live_rules, 1);
	h_free(h);

	/* Under the threshold: nothing at all. */
	h = h_new();
	f.pps = 1800;
	start(h);
	run(h, &f, 1, NULL, 40);
	assert_int_equal(h->al.n, 0);
	assert_int_equal(h->v.n, 0);
	h_free(h);
}

/* The SYN flood to random destination ports: the rate limit names none. */
static void test_syn_flood_any_port(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .pps = 8000 };

	v4(f.dst, 198, 51, 100, 10);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_int_equal(h->v.n, 1);
	check_verdict(&h->v.m[0], XW_VERDICT_RATE_LIMIT, AF_INET, f.dst, 32, 0,
		      IPPROTO_TCP, 0, 0);
	h_free(h);
}

/* ---- 2. the same flood sampled 1:100 ---- */

static double syn_run(uint32_t every, enum xw_attack_class *cls)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 443, .pps = 40000 };
	struct sampling s = { .keep_every = every, .random = true,
			      .sample_rate = every };
	double pps;

	h->th.pps[XW_ATTACK_SYN_FLOOD] = 20000;
	v4(f.dst, 198, 51, 100, 20);
	start(h);
	run(h, &f, 1, &s, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	*cls = first_alert(h, XW_ALERT_START)->cls;
	pps = window_of(h, f.dst, 4, XW_M_SYN);
	h_free(h);
	return pps;
}

static void test_sampled_same_estimate(void **state)
{
	enum xw_attack_class c1, c100;
	double p1 = syn_run(1, &c1), p100 = syn_run(100, &c100);

	assert_int_equal(c1, XW_ATTACK_SYN_FLOOD);
	assert_int_equal(c100, XW_ATTACK_SYN_FLOOD);
	assert_true(fabs(p1 - 40000) < 1);
	if (fabs(p100 - p1) > 0.15 * p1)
		fail_msg("1:100 estimates %.0f pps, 1:1 %.0f", p100, p1);
}

/* ---- 3. exact counters correct what the records stand for ---- */

static void test_counter_correction(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000 };
	/* Three in four records lost (a full ring buffer), sample rate 1. */
	struct sampling s = { .keep_every = 4, .sample_rate = 1,
			      .counters = true };
	double corr, pps;

	v4(f.dst, 198, 51, 100, 30);
	start(h);
	run(h, &f, 1, &s, 10);
	corr = xw_ingest__correction(h->g, HOST, 1, XW_FB_L4_TCP);
	if (fabs(corr - 4) > 0.1)
		fail_msg("correction %.3f, expected 4", corr);
	pps = window_of(h, f.dst, 4, XW_M_SYN);
	if (fabs(pps - 8000) > 0.05 * 8000)
		fail_msg("estimate %.0f pps, 8000 sent", pps);
	/* Other classes of the host keep their correction. */
	assert_true(xw_ingest__correction(h->g, HOST, 1, XW_FB_L4_UDP) == 1);
	h_free(h);

	/* Without counters the records are all there is: a quarter. */
	h = h_new();
	s.counters = false;
	start(h);
	run(h, &f, 1, &s, 10);
	pps = window_of(h, f.dst, 4, XW_M_SYN);
	assert_true(fabs(pps - 2000) < 0.05 * 2000);
	h_free(h);
}

/*
 * A later fragment is counted by the kernel as "other" (bpf/parse.h), not
 * by its IP protocol: fragments must be corrected against that counter,
 * or a fragment flood of UDP is scaled by the UDP counter it is not in.
 */
static void test_counter_correction_fragments(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_UDP, .frag = 0x04,
			  .ip_len = 1400, .pps = 8000 };
	struct sampling s = { .keep_every = 1, .sample_rate = 1,
			      .counters = true };
	double pps;

	v4(f.dst, 198, 51, 100, 31);
	start(h);
	run(h, &f, 1, &s, 10);
	pps = window_of(h, f.dst, 4, XW_M_FRAG);
	if (fabs(pps - 8000) > 0.05 * 8000)
		fail_msg("fragments estimated at %.0f pps, 8000 sent", pps);
	assert_true(fabs(xw_ingest__correction(h->g, HOST, 1, XW_FB_L4_UDP) - 1) < 0.01);
	h_free(h);
}

/* ---- 4. reflection ---- */

struct refl_case {
	uint16_t port;
	enum xw_attack_class cls;
	uint32_t big;
};

static void test_reflection(void **state)
{
	static const struct refl_case cases[] = {
		{ 53, XW_ATTACK_DNS_REFLECTION, 1200 },
		{ 123, XW_ATTACK_NTP_REFLECTION, 468 },
		{ 11211, XW_ATTACK_MEMCACHED_REFLECTION, 1400 },
		{ 1900, XW_ATTACK_SSDP_REFLECTION, 400 },
		{ 389, XW_ATTACK_CLDAP_REFLECTION, 1200 },
		{ 19, XW_ATTACK_CHARGEN_REFLECTION, 1000 },
	};

	for (size_t i = 0; i < XW_ARRAY_SIZE(cases); i++) {
		const struct refl_case *c = &cases[i];
		struct h *h = h_new();
		struct flow f = { .ipver = 4, .l4 = IPPROTO_UDP, .sport = c->port,
				  .ip_len = c->big };
		const struct xw_alert *a;

		f.pps = 4 * h->th.pps[c->cls];
		v4(f.dst, 198, 51, 100, 40);
		start(h);
		run(h, &f, 1, NULL, 12);
		if (count_alerts(h, XW_ALERT_START) != 1)
			fail_msg("port %u: %u attacks", c->port,
				 count_alerts(h, XW_ALERT_START));
		a = first_alert(h, XW_ALERT_START);
		assert_int_equal(a->cls, c->cls);
		assert_int_equal(a->l4_proto, IPPROTO_UDP);
		assert_int_equal(h->v.n, 1);
		/* Drop UDP from the service's port, any source, to the victim. */
		check_verdict(&h->v.m[0], XW_VERDICT_DROP, AF_INET, f.dst, 32, 0,
			      IPPROTO_UDP, c->port, 0);
		h_free(h);

		/* Small replies are not amplification (chargen counts from
		 * 100 bytes: smaller still for it): under the UDP threshold
		 * they are ordinary traffic... */
		h = h_new();
		f.ip_len = c->port == 19 ? 60 : 100;
		f.pps = h->th.pps[XW_ATTACK_UDP_FLOOD] / 2;
		start(h);
		run(h, &f, 1, NULL, 12);
		if (h->al.n || h->v.n)
			fail_msg("port %u: small replies raised %s", c->port,
				 xw_class_name(h->al.a[0].cls));
		h_free(h);
		/* ...and over it a UDP flood, not a way around both classes. */
		h = h_new();
		f.pps = 2 * h->th.pps[XW_ATTACK_UDP_FLOOD];
		start(h);
		run(h, &f, 1, NULL, 12);
		if (count_alerts(h, XW_ALERT_START) != 1)
			fail_msg("port %u: small replies over the UDP threshold: %u attacks",
				 c->port, count_alerts(h, XW_ALERT_START));
		assert_int_equal(first_alert(h, XW_ALERT_START)->cls, XW_ATTACK_UDP_FLOOD);
		h_free(h);
	}
}

/* ---- 5. a few sources: a drop per source ---- */

static void test_few_sources(void **state)
{
	uint8_t srcs[3][16];
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000, .nsrc = 2, .srcs = srcs };
	bool seen[3] = { false };

	v4(srcs[0], 192, 0, 2, 1);
	v4(srcs[1], 192, 0, 2, 2);
	v4(srcs[2], 192, 0, 2, 3);
	v4(f.dst, 198, 51, 100, 50);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_false(first_alert(h, XW_ALERT_START)->spoofed);
	assert_int_equal(h->v.n, 2);
	for (unsigned int i = 0; i < h->v.n; i++) {
		const struct xw_verdict_msg *m = &h->v.m[i];

		check_verdict(m, XW_VERDICT_DROP, AF_INET, f.dst, 32, 32,
			      IPPROTO_TCP, 0, 0);
		assert_int_equal(m->v.src.family, AF_INET);
		for (unsigned int s = 0; s < 2; s++)
			if (!memcmp(m->v.src.addr, srcs[s], 4))
				seen[s] = true;
	}
	assert_true(seen[0] && seen[1]);
	assert_string_not_equal(h->v.m[0].rule_id, h->v.m[1].rule_id);
	h_free(h);

	/* Three sources, one allowlisted: it is never named. */
	h = h_new();
	f.nsrc = 3;
	f.pps = 12000;
	h->allow[0] = (struct xw_prefix){ .family = AF_INET, .len = 32 };
	memcpy(h->allow[0].addr, srcs[2], 4);
	h->ao.plan.nallow = 1;
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_true(h->v.n >= 2);
	for (unsigned int i = 0; i < h->v.n; i++) {
		const struct xw_verdict_msg *m = &h->v.m[i];

		assert_int_equal(m->v.action, XW_VERDICT_DROP);
		assert_int_equal(m->v.src.len, 32);
		assert_memory_not_equal(m->v.src.addr, srcs[2], 4);
	}
	h_free(h);
}

/* ---- 6. one class per flood ---- */

struct flood_case {
	const char *what;
	struct flow f;
	enum xw_attack_class cls;
	uint8_t verdict_l4; /* 0: no verdict */
};

static void test_flood_classes(void **state)
{
	struct flood_case cases[] = {
		{ "ack", { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x10,
			   .dport = 443, .pps = 8000 },
		  XW_ATTACK_TCP_ACK_FLOOD, IPPROTO_TCP },
		{ "rst", { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x04,
			   .dport = 443, .pps = 8000 },
		  XW_ATTACK_TCP_RST_FLOOD, IPPROTO_TCP },
		{ "rst+ack", { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x14,
			       .dport = 443, .pps = 8000 },
		  XW_ATTACK_TCP_RST_FLOOD, IPPROTO_TCP },
		{ "fragments", { .ipver = 4, .l4 = IPPROTO_UDP, .frag = 0x04 | 0x02,
				 .ip_len = 1400, .pps = 8000 },
		  XW_ATTACK_FRAGMENT_FLOOD, 0 },
		{ "udp", { .ipver = 4, .l4 = IPPROTO_UDP, .dport = 9999,
			   .ip_len = 200, .pps = 20000 },
		  XW_ATTACK_UDP_FLOOD, IPPROTO_UDP },
		{ "icmp", { .ipver = 4, .l4 = IPPROTO_ICMP, .sport = 8,
			    .dport = 0, .ip_len = 84, .pps = 8000 },
		  XW_ATTACK_ICMP_FLOOD, IPPROTO_ICMP },
		{ "icmpv6", { .ipver = 6, .l4 = IPPROTO_ICMPV6, .sport = 128,
			      .ip_len = 104, .pps = 8000 },
		  XW_ATTACK_ICMPV6_FLOOD, IPPROTO_ICMPV6 },
		{ "syn v6", { .ipver = 6, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			      .dport = 22, .pps = 8000 },
		  XW_ATTACK_SYN_FLOOD, IPPROTO_TCP },
	};

	for (size_t i = 0; i < XW_ARRAY_SIZE(cases); i++) {
		struct flood_case *c = &cases[i];
		struct h *h = h_new();
		const struct xw_alert *a;

		if (c->f.ipver == 6)
			v6(c->f.dst, "2001:db8:1::10");
		else
			v4(c->f.dst, 198, 51, 100, 60);
		start(h);
		run(h, &c->f, 1, NULL, 12);
		if (count_alerts(h, XW_ALERT_START) != 1)
			fail_msg("%s: %u attacks", c->what,
				 count_alerts(h, XW_ALERT_START));
		a = first_alert(h, XW_ALERT_START);
		if (a->cls != c->cls)
			fail_msg("%s: %s, expected %s", c->what,
				 xw_class_name(a->cls), xw_class_name(c->cls));
		assert_int_equal(a->victim.family, c->f.ipver);
		assert_int_equal(a->victim.len, c->f.ipver == 6 ? 128 : 32);
		assert_true(a->spoofed);
		if (!c->verdict_l4) {
			assert_int_equal(h->v.n, 0);
			assert_contains(a->mitigation, "no verdict");
		} else {
			assert_int_equal(h->v.n, 1);
			check_verdict(&h->v.m[0], XW_VERDICT_RATE_LIMIT,
				      c->f.ipver == 6 ? AF_INET6 : AF_INET,
				      c->f.dst, c->f.ipver == 6 ? 128 : 32, 0,
				      c->verdict_l4, 0,
				      c->verdict_l4 == IPPROTO_TCP ||
						      c->verdict_l4 == IPPROTO_UDP ?
					      c->f.dport :
					      0);
		}
		h_free(h);
	}
}

/* ---- 7. carpet bombing ---- */

static void test_carpet_bombing(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_UDP, .dport = 5060,
			  .ip_len = 200, .ndst = 256, .pps = 20000 };
	const struct xw_alert *a;
	uint8_t net[16];

	v4(f.dst, 203, 0, 113, 0);
	v4(net, 203, 0, 113, 0);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	a = first_alert(h, XW_ALERT_START);
	assert_int_equal(a->cls, XW_ATTACK_CARPET_BOMBING);
	assert_int_equal(a->vector, XW_ATTACK_UDP_FLOOD);
	assert_int_equal(a->victim.len, 24);
	assert_memory_equal(a->victim.addr, net, 4);
	assert_true(a->distinct_destinations > 200);
	assert_contains(a->attack_id, "carpet_bombing/udp_flood/203.0.113.0/24");
	assert_int_equal(h->v.n, 1);
	check_verdict(&h->v.m[0], XW_VERDICT_RATE_LIMIT, AF_INET, net, 24, 0,
		      IPPROTO_UDP, 0, 5060);
	h_free(h);

	/* One host: a UDP flood on it, no carpet bombing on its /24. */
	h = h_new();
	f.ndst = 1;
	v4(f.dst, 203, 0, 113, 7);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	a = first_alert(h, XW_ALERT_START);
	assert_int_equal(a->cls, XW_ATTACK_UDP_FLOOD);
	assert_int_equal(a->victim.len, 32);
	h_free(h);
}

/* ---- 8. lifecycle ---- */

static void test_lifecycle(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000 };
	const struct xw_alert *end;

	h->ao.end_hold_ms = 2000;
	h->ao.renew_ms = 1000;
	h->ao.update_ms = 1000;
	v4(f.dst, 198, 51, 100, 80);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	/* A dip shorter than the hold: 1.5 s of nothing is 0.5 s at 0 pps
	 * once the window has drained. */
	quiet(h, 6);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 0);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_true(count_alerts(h, XW_ALERT_UPDATE) >= 2);
	/* A dip longer than the hold ends it, not before the hold. */
	quiet(h, 11);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 0);
	quiet(h, 1);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 1);
	end = first_alert(h, XW_ALERT_END);
	assert_int_equal(end->cls, XW_ATTACK_SYN_FLOOD);
	assert_true(end->end_ns > end->start_ns);
	assert_true(end->peak_pps >= 7900);
	quiet(h, 40);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 1);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);

	/* Renewals: the same rule id, a higher version each time. */
	assert_true(count_verdicts(h, XW_VERDICT_KIND_VERDICT) >= 3);
	for (unsigned int i = 0; i < h->v.n; i++) {
		const struct xw_verdict_msg *m = &h->v.m[i];
		bool withdrawn = false;

		assert_string_equal(m->rule_id, h->v.m[0].rule_id);
		if (i)
			assert_true(m->version > h->v.m[i - 1].version);
		if (m->kind != XW_VERDICT_KIND_VERDICT)
			continue;
		/* Every verdict is withdrawn later, by a higher version. */
		for (unsigned int j = i + 1; j < h->v.n; j++)
			if (h->v.m[j].kind == XW_VERDICT_KIND_WITHDRAW &&
			    !strcmp(h->v.m[j].rule_id, m->rule_id) &&
			    h->v.m[j].version > m->version)
				withdrawn = true;
		assert_true(withdrawn);
	}
	assert_int_equal(count_verdicts(h, XW_VERDICT_KIND_WITHDRAW), 1);
	assert_int_equal(h->v.m[h->v.n - 1].kind, XW_VERDICT_KIND_WITHDRAW);
	assert_int_equal(xw_attacks__stats(h->a)->active, 0);
	assert_int_equal(xw_attacks__stats(h->a)->live_rules, 0);
	assert_int_equal(xw_attacks__stats(h->a)->ended, 1);
	h_free(h);
}

/*
 * A UDP flood by volume (big packets under the packet threshold) must
 * last while its volume does: the end is judged on packets, which are
 * under end_ratio of the threshold from the start.
 */
static void test_udp_volume_flood_lasts(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_UDP, .dport = 4444,
			  .ip_len = 1400, .pps = 1000 }; /* 11.2 Mbit/s */

	h->th.udp_bps = 8e6;
	h->ao.end_hold_ms = 1000;
	v4(f.dst, 198, 51, 100, 90);
	start(h);
	run(h, &f, 1, NULL, 40);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_int_equal(first_alert(h, XW_ALERT_START)->cls, XW_ATTACK_UDP_FLOOD);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 0);
	assert_int_equal(count_verdicts(h, XW_VERDICT_KIND_WITHDRAW), 0);
	/* It ends when the volume goes. */
	quiet(h, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 1);
	h_free(h);
}

/*
 * Sources that stop while the attack goes on keep their rules until it
 * ends, renewed with the rest: a rule left unrenewed would lapse at its
 * TTL in the kernels while the attack still counts it as live.
 */
static void test_renew_keeps_left_rules(void **state)
{
	uint8_t srcs[4][16];
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000, .nsrc = 2, .srcs = srcs };
	uint64_t switched_ns;
	unsigned int first;

	for (unsigned int i = 0; i < 4; i++)
		v4(srcs[i], 192, 0, 2, (uint8_t)(20 + i));
	h->ao.renew_ms = 1000;
	v4(f.dst, 198, 51, 100, 85);
	start(h);
	run(h, &f, 1, NULL, 8);
	/* A drop each for .20 and .21 (maybe renewed once already). */
	assert_true(h->v.n == 2 || h->v.n == 4);
	assert_string_not_equal(h->v.m[0].rule_id, h->v.m[1].rule_id);
	first = h->v.n;
	/* The flood moves to .22 and .23. */
	f.srcs = srcs + 2;
	switched_ns = h->slot * XW_SLOT_MS * NS_PER_MS;
	run(h, &f, 1, NULL, 24);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_int_equal(xw_attacks__stats(h->a)->live_rules, 4);
	/* The first two rules were renewed after the switch. */
	for (unsigned int r = 0; r < 2; r++) {
		uint64_t last = 0;

		for (unsigned int i = first; i < h->v.n; i++)
			if (!strcmp(h->v.m[i].rule_id, h->v.m[r].rule_id))
				last = h->v.m[i].version;
		if (last < switched_ns + 4000 * NS_PER_MS)
			fail_msg("rule %s last renewed %.2f s after the switch",
				 h->v.m[r].rule_id,
				 ((double)last - (double)switched_ns) / 1e9);
	}
	/* At the end, all four are withdrawn. */
	quiet(h, 20);
	assert_int_equal(count_verdicts(h, XW_VERDICT_KIND_WITHDRAW), 4);
	h_free(h);
}

/* ---- 9. learned baseline ---- */

/*
 * The defaults of config/detector.cfg's learn.*: alpha 5 per mille a slot,
 * a minute of warm-up, k = 4, three times the mean. The static UDP
 * threshold is 1000 packets/s here.
 */
static void test_learned_baseline(void **state)
{
	uint8_t srcs[50][16];
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_UDP, .dport = 8080,
			  .ip_len = 300, .nsrc = 50, .srcs = srcs, .pps = 800 };

	for (unsigned int i = 0; i < 50; i++)
		v4(srcs[i], 192, 0, 2, (uint8_t)(10 + i));
	v4(f.dst, 198, 51, 100, 100);
	h->to.baseline_alpha = 0.005;
	h->ao.learn.warm_slots = 240;
	h->th.pps[XW_ATTACK_UDP_FLOOD] = 1000;
	h->th.learn = true;
	start(h);
	/* Under the static threshold, through the warm-up and beyond. */
	run(h, &f, 1, NULL, 300);
	assert_int_equal(h->al.n, 0);
	/* Its normal load grows over the static threshold: not an attack. */
	f.pps = 1200;
	run(h, &f, 1, NULL, 300);
	assert_int_equal(h->al.n, 0);
	/* Five times that is. */
	f.pps = 6000;
	run(h, &f, 1, NULL, 8);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_int_equal(first_alert(h, XW_ALERT_START)->cls, XW_ATTACK_UDP_FLOOD);
	assert_true(first_alert(h, XW_ALERT_START)->threshold_pps > 1000);
	h_free(h);

	/* A fast-learning baseline (alpha 0.05 a slot) must not learn the
	 * flood's first slots, before it is confirmed: they would lift the
	 * band over the flood itself. */
	h = h_new();
	h->to.baseline_alpha = 0.05;
	h->ao.learn.warm_slots = 40;
	h->th.pps[XW_ATTACK_UDP_FLOOD] = 1000;
	h->th.learn = true;
	f.pps = 800;
	start(h);
	run(h, &f, 1, NULL, 100);
	f.pps = 1200;
	run(h, &f, 1, NULL, 100);
	assert_int_equal(h->al.n, 0);
	f.pps = 6000;
	run(h, &f, 1, NULL, 8);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	h_free(h);

	/* Without learning the same steady load is an attack. */
	h = h_new();
	h->th.pps[XW_ATTACK_UDP_FLOOD] = 1000;
	f.pps = 800;
	start(h);
	run(h, &f, 1, NULL, 300);
	assert_int_equal(h->al.n, 0);
	f.pps = 1200;
	run(h, &f, 1, NULL, 300);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_int_equal(first_alert(h, XW_ALERT_START)->threshold_pps, 1000);
	h_free(h);
}

/* ---- 10. the rule budget ---- */

static void test_budget(void **state)
{
	struct h *h = h_new();
	struct flow f[2] = {
		{ .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02, .dport = 80,
		  .pps = 8000 },
		{ .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02, .dport = 80,
		  .pps = 8000 },
	};

	h->ao.max_live = 1;
	v4(f[0].dst, 198, 51, 100, 110);
	v4(f[1].dst, 198, 51, 100, 111);
	start(h);
	run(h, f, 2, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 2);
	assert_int_equal(h->v.n, 1);
	/* The attack that found the budget spent says it has no rule. */
	assert_int_equal(h->al.a[0].nrules + h->al.a[1].nrules, 1);
	assert_true(xw_attacks__stats(h->a)->over_budget >= 1);
	assert_int_equal(xw_attacks__stats(h->a)->live_rules, 1);
	h_free(h);
}

/* ---- 11. sequences, malformed batches, late records ---- */

static void test_sequences_and_late(void **state)
{
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff };
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 400 };
	struct batch b = { 0 };
	const struct xw_ingest_stats *st;
	static const uint64_t seqs[] = { 1, 2, 2, 3, 6, 6, 7 };

	v4(f.dst, 198, 51, 100, 120);
	start(h);
	st = xw_ingest__stats(h->g);
	for (size_t i = 0; i < XW_ARRAY_SIZE(seqs); i++) {
		flows_slot(h, &b, &f, 1, NULL);
		assert_int_equal(batch_send(h, &b, h->slot, NULL, seqs[i]), 0);
		tick(h, h->slot++);
	}
	assert_int_equal(st->duplicate_batches, 2);
	assert_int_equal(st->missing_batches, 2);
	assert_int_equal(st->batches, 5);
	/* A duplicate adds nothing: 5 batches of 100 records. */
	assert_int_equal(st->records, 500);

	assert_int_equal(xw_ingest__batch(h->g, junk, sizeof(junk), 0), -EBADMSG);
	assert_int_equal(st->bad_batches, 1);
	/* A good header, a record out of range (l4_proto 300): found when
	 * the decode reaches it. */
	flows_slot(h, &b, &f, 1, NULL);
	b.r[b.n / 2].l4_proto = 300;
	assert_int_equal(batch_send(h, &b, h->slot, NULL, 8), -EBADMSG);
	assert_int_equal(st->bad_batches, 2);
	assert_int_equal(st->batches, 5);
	tick(h, h->slot++);

	/* 10 records from 10 slots ago: late, each counted once. */
	f.pps = 40;
	flows_slot(h, &b, &f, 1, NULL);
	assert_int_equal(b.n, 10);
	assert_int_equal(batch_send(h, &b, h->slot - 10, NULL, 9), 0);
	assert_int_equal(xw_dtable_stats(h->t)->late, 10);
	free(b.r);
	free(b.addr);
	h_free(h);
}

/* ---- 12. a rebalance hands attacks over without withdrawing ---- */

static void test_forget(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000 };
	const struct xw_attacks_stats *st;

	v4(f.dst, 198, 51, 100, 130);
	start(h);
	run(h, &f, 1, NULL, 12);
	st = xw_attacks__stats(h->a);
	assert_int_equal(st->active, 1);
	assert_int_equal(h->v.n, 1);
	xw_attacks__forget(h->a, dst_of(h, f.dst, 4, 32));
	assert_int_equal(st->active, 0);
	assert_int_equal(st->live_rules, 0);
	assert_int_equal(st->forgotten, 1);
	assert_int_equal(st->ended, 0);
	assert_int_equal(count_verdicts(h, XW_VERDICT_KIND_WITHDRAW), 0);
	assert_int_equal(count_alerts(h, XW_ALERT_END), 0);
	h_free(h);
}

/* A verdict the publisher refuses is not live: nothing to withdraw. */
static void test_publish_failure(void **state)
{
	struct h *h = h_new();
	struct flow f = { .ipver = 4, .l4 = IPPROTO_TCP, .tcp_flags = 0x02,
			  .dport = 80, .pps = 8000 };

	h->fail_verdicts = 1;
	v4(f.dst, 198, 51, 100, 140);
	start(h);
	run(h, &f, 1, NULL, 12);
	assert_int_equal(count_alerts(h, XW_ALERT_START), 1);
	assert_true(xw_attacks__stats(h->a)->publish_failed >= 1);
	assert_int_equal(xw_attacks__stats(h->a)->live_rules, 0);
	h_free(h);
}

/* ---- the detector's settings ---- */

static void cfg_base(struct xw_dconfig *c)
{
	char err[512];

	xw_dconfig_defaults(c);
	assert_int_equal(xw_dconfig_set(c, "kafka.bootstrap.servers=127.0.0.1:9092",
					err, sizeof(err)), 0);
}

static void cfg_set(struct xw_dconfig *c, const char *kv)
{
	char err[512];

	if (xw_dconfig_set(c, kv, err, sizeof(err)))
		fail_msg("%s: %s", kv, err);
}

static void cfg_refused(const char *const *kvs, size_t n, const char *needle)
{
	struct xw_dconfig *c = calloc(1, sizeof(*c));
	char err[512] = "";

	assert_non_null(c);
	cfg_base(c);
	for (size_t i = 0; i < n; i++)
		cfg_set(c, kvs[i]);
	assert_int_equal(xw_dconfig_finish(c, err, sizeof(err)), -EINVAL);
	assert_contains(err, needle);
	free(c);
}

static uint16_t group_of(const struct xw_dconfig *c, const char *addr)
{
	struct xw_dkey k = { 0 };

	if (inet_pton(AF_INET, addr, k.addr) == 1) {
		k.family = 4;
		k.len = 32;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, k.addr), 1);
		k.family = 6;
		k.len = 128;
	}
	return xw_dconfig_group_of(c, &k);
}

static void test_dconfig_groups(void **state)
{
	struct xw_dconfig *c = calloc(1, sizeof(*c));
	char err[512] = "";
	int web, wide;

	assert_non_null(c);
	cfg_base(c);
	cfg_set(c, "groups.web.syn_flood=1234");
	cfg_set(c, "groups.web.learn=false");
	cfg_set(c, "groups.wide.udp_flood=99");
	cfg_set(c, "group_prefixes=198.51.0.0/16=wide,198.51.100.0/24=web");
	if (xw_dconfig_finish(c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c->ngroups, 3);
	assert_string_equal(c->group_name[0], "default");
	web = !strcmp(c->group_name[1], "web") ? 1 : 2;
	wide = 3 - web;
	assert_string_equal(c->group_name[web], "web");
	assert_string_equal(c->group_name[wide], "wide");
	/* Longest prefix wins, whatever the order they were given in. */
	assert_int_equal(group_of(c, "198.51.100.7"), web);
	assert_int_equal(group_of(c, "198.51.7.1"), wide);
	assert_int_equal(group_of(c, "192.0.2.1"), 0);
	assert_int_equal(group_of(c, "2001:db8::1"), 0);
	/* A group is the defaults with its own settings over them. */
	assert_true(c->groups_th[web].pps[XW_ATTACK_SYN_FLOOD] == 1234);
	assert_true(c->groups_th[web].pps[XW_ATTACK_UDP_FLOOD] == 50000);
	assert_false(c->groups_th[web].learn);
	assert_true(c->groups_th[wide].pps[XW_ATTACK_UDP_FLOOD] == 99);
	assert_true(c->groups_th[wide].pps[XW_ATTACK_SYN_FLOOD] == 20000);
	assert_true(c->groups_th[wide].learn);
	assert_true(c->groups_th[0].pps[XW_ATTACK_SYN_FLOOD] == 20000);
	/* Finishing again builds the same, not twice as many. */
	if (xw_dconfig_finish(c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c->ngroups, 3);
	assert_int_equal(c->nprefixes, 2);
	free(c);
}

static void test_dconfig_refused(void **state)
{
	static const char *const unknown_class[] = { "groups.web.syn_floods=5" };
	static const char *const carpet[] = { "groups.web.carpet_bombing=5" };
	static const char *const unknown_group[] = {
		"groups.web.syn_flood=5", "group_prefixes=198.51.100.0/24=mail"
	};
	static const char *const bad_prefix[] = {
		"groups.web.syn_flood=5", "group_prefixes=198.51.100.0/33=web"
	};
	static const char *const bad_value[] = { "groups.web.syn_flood=lots" };
	static const char *const renew[] = { "verdict.ttl_s=30",
					     "verdict.renew_s=30" };
	static const char *const allow[] = { "verdict.allowlist=not-a-prefix" };
	struct xw_dconfig *c = calloc(1, sizeof(*c));
	char err[512] = "";

	cfg_refused(unknown_class, 1, "groups.web.syn_floods");
	cfg_refused(carpet, 1, "groups.web.carpet_bombing");
	cfg_refused(unknown_group, 2, "group_prefixes");
	cfg_refused(unknown_group, 2, "'mail'");
	cfg_refused(bad_prefix, 2, "group_prefixes");
	cfg_refused(bad_prefix, 2, "198.51.100.0/33");
	cfg_refused(bad_value, 1, "groups.web.syn_flood");
	cfg_refused(renew, 2, "verdict.renew_s");
	cfg_refused(allow, 1, "verdict.allowlist");

	/* kafka.bootstrap.servers is required. */
	assert_non_null(c);
	xw_dconfig_defaults(c);
	assert_int_equal(xw_dconfig_finish(c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "kafka.bootstrap.servers");
	/* A value out of a row's bounds is refused by set, naming the key. */
	assert_int_not_equal(xw_dconfig_set(c, "detect.start_slots=0", err,
					    sizeof(err)), 0);
	assert_contains(err, "detect.start_slots");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_flood_spoofed),
		cmocka_unit_test(test_syn_flood_any_port),
		cmocka_unit_test(test_sampled_same_estimate),
		cmocka_unit_test(test_counter_correction),
		cmocka_unit_test(test_counter_correction_fragments),
		cmocka_unit_test(test_reflection),
		cmocka_unit_test(test_few_sources),
		cmocka_unit_test(test_flood_classes),
		cmocka_unit_test(test_carpet_bombing),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_udp_volume_flood_lasts),
		cmocka_unit_test(test_renew_keeps_left_rules),
		cmocka_unit_test(test_learned_baseline),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_sequences_and_late),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_publish_failure),
		cmocka_unit_test(test_dconfig_groups),
		cmocka_unit_test(test_dconfig_refused),
	};

	xw_log_set_level(XW_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
