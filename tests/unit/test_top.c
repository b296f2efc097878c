// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_top.c - what `xdpwatch top` computes and how it prints it
 * (cli/top_model.c): rates between counter snapshots, counter restarts,
 * rule hits/s, heavy-hitter windows scaled by the sample rate, late and
 * early records, alerts start/update/end, number and age formats, the
 * text frame and its truncation, the JSON object.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "testhelp.h"
#include "top_model.h"
#include "xdpwatch/v1/alerts.pb-c.h"

#define S 1000000000ULL

static void test_rate(void **state)
{
	struct xw_counter a = { 1000, 64000 }, b = { 1500, 96000 };
	struct xw_rate r;

	xw_top_rate(&a, &b, 2 * S, &r);
	assert_true(r.pps == 250.0);
	assert_true(r.bps == 32000.0 * 8 / 2);
	/* 250 ms: four times the packets per second. */
	xw_top_rate(&a, &b, S / 4, &r);
	assert_true(r.pps == 2000.0);
	/* No time between: no rate, not a division by zero. */
	xw_top_rate(&a, &b, 0, &r);
	assert_true(r.pps == 0 && r.bps == 0);
	/* Counters started over (maps pinned anew): all of cur is new. */
	xw_top_rate(&b, &(struct xw_counter){ 30, 3000 }, S, &r);
	assert_true(r.pps == 30.0);
	assert_true(r.bps == 24000.0);
}

static void test_iface_update(void **state)
{
	struct xw_counter c[XW_TRAFFIC_SLOTS] = { 0 };
	struct xw_top_iface i = { 0 };
	uint32_t syn = XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_TCP, XW_ACT_PASS);
	uint32_t drop = XW_TRAFFIC_IDX(XW_IPVER_6, XW_L4_UDP, XW_ACT_DROP);

	c[syn] = (struct xw_counter){ 100, 5400 };
	xw_top_iface__update(&i, c, 10 * S);
	assert_false(i.have_rate); /* one snapshot is no rate */
	assert_true(i.rate[syn].pps == 0);

	c[syn] = (struct xw_counter){ 1100, 59400 };
	c[drop] = (struct xw_counter){ 300, 300 * 62 };
	xw_top_iface__update(&i, c, 12 * S);
	assert_true(i.have_rate);
	assert_int_equal(i.dt_ns, 2 * S);
	assert_true(i.rate[syn].pps == 500.0);
	assert_true(i.rate[syn].bps == 500.0 * 54 * 8);
	assert_true(i.rate[drop].pps == 150.0);
	assert_true(i.rate[drop].bps == 150.0 * 62 * 8);
	/* Nothing new: zero, not the last rate again. */
	xw_top_iface__update(&i, c, 13 * S);
	assert_true(i.rate[syn].pps == 0 && i.rate[drop].pps == 0);
}

static void add_rule(struct xw_top *t, const char *ifname, uint32_t id,
		     uint64_t hits)
{
	struct xw_top_rule *r = xw_top_rules__add(t);

	assert_non_null(r);
	snprintf(r->iface, sizeof(r->iface), "%s", ifname);
	r->v.rule.rule_id = id;
	r->v.src.family = AF_INET;
	r->v.src.len = 32;
	r->v.src.addr[0] = 198;
	r->v.src.addr[1] = 51;
	r->v.src.addr[2] = 100;
	r->v.src.addr[3] = (uint8_t)id;
	r->v.hits.packets = hits;
	r->v.ttl_left_s = 600;
}

static const struct xw_top_rule *find_rule(const struct xw_top *t,
					   const char *ifname, uint32_t id)
{
	for (size_t i = 0; i < t->nrules; i++)
		if (!strcmp(t->rules[i].iface, ifname) &&
		    t->rules[i].v.rule.rule_id == id)
			return &t->rules[i];
	fail_msg("no rule %s/%u", ifname, id);
	return NULL;
}

static void test_rule_rates(void **state)
{
	struct xw_top t = { 0 };
	const struct xw_top_rule *r;

	xw_top_rules__begin(&t);
	add_rule(&t, "eth0", 1, 100);
	add_rule(&t, "eth1", 1, 5);
	add_rule(&t, "eth0", 2, 0);
	xw_top_rules__update(&t, 5 * S);
	assert_false(find_rule(&t, "eth0", 1)->have_rate);

	/* One second later: same ids on two interfaces kept apart; a new
	 * rule has no rate yet; a gone rule is simply not listed. */
	xw_top_rules__begin(&t);
	add_rule(&t, "eth1", 1, 25);
	add_rule(&t, "eth0", 1, 600);
	add_rule(&t, "eth0", 3, 7);
	xw_top_rules__update(&t, 6 * S);
	assert_int_equal(t.nrules, 3);
	r = find_rule(&t, "eth0", 1);
	assert_true(r->have_rate && r->hits_pps == 500.0);
	r = find_rule(&t, "eth1", 1);
	assert_true(r->have_rate && r->hits_pps == 20.0);
	assert_false(find_rule(&t, "eth0", 3)->have_rate);
	/* Busiest first. */
	assert_int_equal(t.rules[0].v.rule.rule_id, 1);
	assert_string_equal(t.rules[0].iface, "eth0");
	assert_string_equal(t.rules[1].iface, "eth1");

	/* Half a second later: hits/s over the half second. */
	xw_top_rules__begin(&t);
	add_rule(&t, "eth0", 1, 700);
	xw_top_rules__update(&t, 6 * S + S / 2);
	assert_true(find_rule(&t, "eth0", 1)->hits_pps == 200.0);
	xw_top__free(&t);
}

static void v4(uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, 16);
	a[0] = x;
	a[1] = y;
	a[2] = z;
	a[3] = w;
}

static void test_heavy_hitters(void **state)
{
	struct xw_hh h;
	struct xw_hh_view *v = calloc(1, sizeof(*v));
	uint8_t a[16], b[16], dst[16], six[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	int64_t t0 = 1700000000LL * (int64_t)S;
	char buf[64];

	assert_non_null(v);
	assert_int_equal(xw_hh__init(&h, t0, 2 * S), 0);
	v4(a, 192, 0, 2, 10);
	v4(b, 198, 51, 100, 7);
	v4(dst, 192, 0, 2, 1);
	six[15] = 1;

	/* Before window 0: ignored, not late. */
	xw_hh__add(&h, t0 - 1, 4, a, dst, 100, 6400);
	/* Window 0: a 300 records at 1:10, b 50 at 1:4, one IPv6 at 1:1. */
	for (int i = 0; i < 300; i++)
		xw_hh__add(&h, t0 + i * 5000000LL, 4, a, dst, 10, 10 * 54);
	for (int i = 0; i < 50; i++)
		xw_hh__add(&h, t0 + S + i, 4, b, dst, 4, 4 * 100);
	xw_hh__add(&h, t0 + 2 * S - 1, 6, six, six, 1, 80);
	/* Window 1 and 3 already; one too far ahead to keep open. */
	xw_hh__add(&h, t0 + 2 * S, 4, b, dst, 1000, 1000 * 60);
	xw_hh__add(&h, t0 + 7 * S, 4, b, dst, 1, 60);
	xw_hh__add(&h, t0 + 2 * S * XW_TOP_WINDOWS, 4, b, dst, 1, 60);
	/* Not IP: never a heavy hitter. */
	xw_hh__add(&h, t0, 0, a, dst, 1, 60);
	assert_int_equal(xw_hh__window_of(&h, t0 - 1), -1);
	assert_int_equal(xw_hh__window_of(&h, t0 + 2 * S - 1), 0);

	xw_hh__close(&h, 0, v, 2);
	assert_true(v->valid);
	assert_int_equal(v->start_ns, t0);
	assert_int_equal(v->end_ns, t0 + 2 * S);
	assert_int_equal(v->records, 351);
	assert_int_equal(v->pkts, 3000 + 200 + 1);
	assert_int_equal(v->nsrc, 2); /* top 2 of 3 */
	assert_memory_equal(v->src[0].addr, a, 4);
	assert_int_equal(v->src[0].pkts, 3000);
	assert_true(v->src[0].rate.pps == 1500.0); /* 3000 over 2 s */
	assert_true(v->src[0].rate.bps == 3000.0 * 54 * 8 / 2);
	assert_memory_equal(v->src[1].addr, b, 4);
	assert_true(v->src[1].rate.pps == 100.0);
	assert_int_equal(v->ndst, 2);
	assert_memory_equal(v->dst[0].addr, dst, 4);
	assert_true(v->dst[0].rate.pps == 1600.0);
	assert_int_equal(v->dst[1].family, 6);
	assert_int_equal(v->early, 1);
	assert_int_equal(v->late, 0);

	/* Window 0 is closed: a straggler for it is late. */
	xw_hh__add(&h, t0 + 10, 4, a, dst, 10, 540);
	xw_hh__close(&h, 1, v, 10);
	assert_int_equal(v->late, 1);
	assert_int_equal(v->nsrc, 1);
	assert_true(v->src[0].rate.pps == 500.0);
	/* Window 2 saw nothing; window 3 kept its record. */
	xw_hh__close(&h, 2, v, 10);
	assert_int_equal(v->nsrc, 0);
	xw_hh__close(&h, 3, v, 10);
	assert_int_equal(v->records, 1);

	/* Many addresses: the table grows, the order stays right. */
	for (int i = 0; i < 5000; i++) {
		uint8_t s[16];

		v4(s, 203, 0, (uint8_t)(i >> 8), (uint8_t)i);
		xw_hh__add(&h, t0 + 8 * S + i, 4, s, dst, (uint32_t)(1 + i % 7), 60);
	}
	xw_hh__close(&h, 4, v, 3);
	assert_int_equal(v->records, 5000);
	assert_int_equal(v->src[0].pkts, 7);
	assert_int_equal(v->untracked_pkts, 0);
	assert_non_null(inet_ntop(AF_INET, v->src[0].addr, buf, sizeof(buf)));
	xw_hh__free(&h);
	free(v);
}

static void test_formats(void **state)
{
	static const struct {
		double v;
		const char *want;
	} si[] = {
		{ 0, "0" },	     { 0.5, "0.5" },	    { 9.94, "9.9" },
		{ 42, "42" },	     { 999.4, "999" },	    { 999.6, "1.00k" },
		{ 1234, "1.23k" },   { 12345, "12.3k" },    { 123456, "123k" },
		{ 999999, "1.00M" }, { 4.5e6, "4.50M" },    { 2.5e10, "25.0G" },
		{ -1500, "-1.50k" },
	};
	static const struct {
		int64_t s;
		const char *want;
	} age[] = {
		{ -1, "expired" },   { 0, "0s" },	   { 59, "59s" },
		{ 60, "1m00s" },     { 243, "4m03s" },	   { 7500, "2h05m" },
		{ 273600, "3d04h" },
	};
	char buf[32], fit[32];

	for (size_t i = 0; i < XW_ARRAY_SIZE(si); i++)
		assert_string_equal(xw_fmt_si(si[i].v, buf, sizeof(buf)), si[i].want);
	for (size_t i = 0; i < XW_ARRAY_SIZE(age); i++)
		assert_string_equal(xw_fmt_age(age[i].s, buf, sizeof(buf)), age[i].want);
	assert_string_equal(xw_top_fit("abcdefgh", 5, fit, sizeof(fit)), "abcde");
	assert_string_equal(xw_top_fit("abc", 5, fit, sizeof(fit)), "abc");
	assert_string_equal(xw_top_fit("abcdefgh", 0, fit, sizeof(fit)), "abcdefgh");
	/* Never past the buffer, whatever the width. */
	assert_int_equal(strlen(xw_top_fit("abcdefgh", 100, fit, 4)), 3);
}

/* An Alert packed by protobuf-c, as the detector sends it. */
static size_t pack_alert(uint8_t *buf, int phase, uint64_t t, double pps,
			 const char *rule)
{
	Xdpwatch__V1__Alert m = XDPWATCH__V1__ALERT__INIT;
	Xdpwatch__V1__Prefix victim = XDPWATCH__V1__PREFIX__INIT;
	uint8_t addr[4] = { 192, 0, 2, 1 };
	char *rules[1] = { (char *)rule };

	m.schema_version = 1;
	m.attack_id = "syn_flood/192.0.2.1/32";
	m.phase = (Xdpwatch__V1__AlertPhase)phase;
	m.attack_class = XDPWATCH__V1__ATTACK_CLASS__ATTACK_SYN_FLOOD;
	m.vector = XDPWATCH__V1__ATTACK_CLASS__ATTACK_SYN_FLOOD;
	victim.addr.data = addr;
	victim.addr.len = 4;
	victim.len = 32;
	m.victim = &victim;
	m.time_unix_ns = t;
	m.start_unix_ns = 1000 * S;
	m.end_unix_ns = phase == 2 ? t : 0;
	m.pps = pps;
	m.bps = pps * 54 * 8;
	m.peak_pps = 30000;
	m.n_rule_ids = rule ? 1 : 0;
	m.rule_ids = rules;
	m.mitigation = "drop the top sources";
	return xdpwatch__v1__alert__pack(&m, buf);
}

static void test_alerts(void **state)
{
	struct xw_top t = { .kafka = true, .kafka_bootstrap = "127.0.0.1:9092" };
	struct xw_top_attack a;
	uint8_t buf[512];
	size_t n;

	assert_string_equal(xw_top_class_name(1), "syn_flood");
	assert_string_equal(xw_top_class_name(5), "dns_reflection");
	assert_string_equal(xw_top_class_name(14), "carpet_bombing");
	assert_string_equal(xw_top_class_name(99), "unknown");
	assert_int_equal(xw_top_alert_decode("\xff\xff", 2, &a), -EBADMSG);

	n = pack_alert(buf, 0, 1010 * S, 20000, "xwd-syn_flood-1");
	assert_int_equal(xw_top_alert_decode(buf, n, &a), 0);
	assert_string_equal(a.id, "syn_flood/192.0.2.1/32");
	assert_string_equal(a.victim, "192.0.2.1/32");
	assert_int_equal(a.cls, 1);
	assert_int_equal(a.nrules, 1);
	assert_string_equal(a.rules[0], "xwd-syn_flood-1");
	assert_int_equal(xw_top_attacks__apply(&t, &a), 0);
	assert_int_equal(t.nattacks, 1);

	/* An update replaces it; an older message read late does not. */
	n = pack_alert(buf, 1, 1015 * S, 25000, "xwd-syn_flood-1");
	xw_top_alert_decode(buf, n, &a);
	xw_top_attacks__apply(&t, &a);
	n = pack_alert(buf, 0, 1010 * S, 20000, NULL);
	xw_top_alert_decode(buf, n, &a);
	xw_top_attacks__apply(&t, &a);
	assert_int_equal(t.nattacks, 1);
	assert_int_equal(t.attacks[0].phase, 1);
	assert_true(t.attacks[0].pps == 25000);

	/* Silent for two minutes: its detector is gone, so is the attack. */
	xw_top_attacks__expire(&t, 1015 * S + XW_TOP_SILENT_DROP_NS - 1);
	assert_int_equal(t.nattacks, 1);
	xw_top_attacks__expire(&t, 1015 * S + XW_TOP_SILENT_DROP_NS + 1);
	assert_int_equal(t.nattacks, 0);

	/* Ended: kept a while, marked ended. */
	n = pack_alert(buf, 2, 1100 * S, 0, "xwd-syn_flood-1");
	xw_top_alert_decode(buf, n, &a);
	xw_top_attacks__apply(&t, &a);
	xw_top_attacks__expire(&t, 1100 * S + XW_TOP_ENDED_KEEP_NS - 1);
	assert_int_equal(t.nattacks, 1);
	assert_int_equal(t.attacks[0].phase, 2);
	xw_top_attacks__expire(&t, 1100 * S + XW_TOP_ENDED_KEEP_NS + 1);
	assert_int_equal(t.nattacks, 0);
	xw_top__free(&t);
}

static char *join(const struct xw_lines *l)
{
	size_t n = 1;
	char *s;

	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->line[i]) + 1;
	s = calloc(1, n);
	for (size_t i = 0; s && i < l->n; i++) {
		strcat(s, l->line[i]);
		strcat(s, "\n");
	}
	return s;
}

/* Two interfaces, a rule, heavy hitters and an attack. */
static void frame(struct xw_top *t, struct xw_top_iface *ifs, struct xw_hh_view *hh)
{
	struct xw_counter c[XW_TRAFFIC_SLOTS] = { 0 };
	uint32_t syn = XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_TCP, XW_ACT_PASS);
	uint32_t drop = XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_ICMP, XW_ACT_DROP);
	struct xw_top_attack a = { .id = "syn_flood/192.0.2.1/32", .phase = 1,
				   .cls = 1, .vector = 1, .victim = "192.0.2.1/32",
				   .time_ns = 1010 * S, .start_ns = 1000 * S,
				   .pps = 23456, .bps = 1e7, .peak_pps = 30000,
				   .nrules = 1, .rules = { "xwd-syn_flood-1" } };

	memset(t, 0, sizeof(*t));
	t->interval_ns = S;
	t->top_n = 10;
	t->now_unix_ns = 1010 * S;
	t->ifaces = ifs;
	t->nifaces = 2;
	for (int i = 0; i < 2; i++) {
		memset(&ifs[i], 0, sizeof(ifs[i]));
		snprintf(ifs[i].name, sizeof(ifs[i].name), "eth%d", i);
		ifs[i].present = true;
		ifs[i].sample_rate = 100;
		memset(c, 0, sizeof(c));
		xw_top_iface__update(&ifs[i], c, S);
		c[i ? drop : syn] = (struct xw_counter){ 1000, 1000 * (i ? 98 : 54) };
		xw_top_iface__update(&ifs[i], c, 2 * S);
	}
	xw_top_rules__begin(t);
	add_rule(t, "eth1", 1, 0);
	xw_top_rules__update(t, S);
	xw_top_rules__begin(t);
	add_rule(t, "eth1", 1, 1000);
	xw_top_rules__update(t, 2 * S);
	memset(hh, 0, sizeof(*hh));
	hh->valid = true;
	hh->start_ns = 1008 * S;
	hh->end_ns = 1009 * S;
	hh->records = 10;
	hh->pkts = 1000;
	hh->nsrc = hh->ndst = 1;
	hh->src[0] = (struct xw_hh_item){ .family = 4, .addr = { 192, 0, 2, 10 },
					  .pkts = 1000, .rate = { 1000, 432000 } };
	hh->dst[0] = (struct xw_hh_item){ .family = 4, .addr = { 192, 0, 2, 1 },
					  .pkts = 1000, .rate = { 1000, 432000 } };
	t->hh = *hh;
	xw_top_attacks__apply(t, &a);
}

static void test_render_text(void **state)
{
	struct xw_top_iface ifs[2];
	struct xw_hh_view hh;
	struct xw_lines l = { 0 };
	struct xw_top t;
	char *s, buf[64];

	frame(&t, ifs, &hh);
	assert_int_equal(xw_top_render(&t, &l), 0);
	s = join(&l);
	assert_contains(s, "2 interfaces  1 rule  no Kafka");
	/* Total and each interface, with their breakdown by slot. */
	assert_contains(s, "total ");
	assert_contains(s, "eth0 1:100");
	assert_contains(s, "ipv4   tcp    pass         1.00k      432k");
	assert_contains(s, "ipv4   icmp   drop         1.00k      784k");
	assert_contains(s, "pass 1.00k drop 1.00k monitor 0 allow 0");
	assert_contains(s, "198.51.100.1/32");
	assert_contains(s, "1000    1.00k   10m00s");
	assert_contains(s, "no Kafka: heavy hitters off");
	assert_contains(s, "no Kafka: attacks off");
	assert_contains(s, "any                drop");
	assert_not_contains(s, "syn_flood");
	free(s);
	xw_lines__free(&l);

	t.kafka = true;
	t.kafka_bootstrap = "127.0.0.1:19092";
	t.host_filter = "victim-host";
	xw_top_render(&t, &l);
	s = join(&l);
	assert_contains(s, "127.0.0.1:19092");
	assert_contains(s, "00:16:48-00:16:49 UTC, host victim-host, 10 sampled records");
	assert_contains(s, "TOP SOURCES");
	assert_contains(s, "192.0.2.10                                 1.00k      432k");
	assert_contains(s, "syn_flood            192.0.2.1/32                           23.5k     10.0M     30.0k      10s active  xwd-syn_flood-1");
	/* Cut to 40 columns: no line longer, every line kept. */
	for (size_t i = 0; i < l.n; i++) {
		char cut[1024];

		xw_top_fit(l.line[i], 40, cut, sizeof(cut));
		assert_true(strlen(cut) <= 40);
		assert_memory_equal(cut, l.line[i], strlen(cut));
	}
	free(s);
	xw_lines__free(&l);

	/* A broker that does not answer: said so, not "no traffic". */
	t.features_down = t.alerts_down = true;
	snprintf(t.kafka_status, sizeof(t.kafka_status), "xdpwatch.features.v1: down");
	xw_top_render(&t, &l);
	s = join(&l);
	assert_contains(s, "Kafka xdpwatch.features.v1: down");
	assert_contains(s, "HEAVY HITTERS    off: cannot read the feature topic");
	assert_contains(s, "unknown: cannot read the alerts topic");
	assert_not_contains(s, "TOP SOURCES");
	free(s);
	xw_lines__free(&l);
	(void)buf;
	xw_top__free(&t);
}

static void test_render_rule_qualifiers(void **state)
{
	struct xw_top t = { .interval_ns = S };
	struct xw_lines l = { 0 };
	struct xw_top_rule *r;
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	xw_top_rules__begin(&t);
	add_rule(&t, "eth0", 7, 5);
	r = &t.rules[0];
	r->v.rule.l4_proto = 6;
	r->v.rule.dport = 80;
	r->v.rule.tcp_flags_mask = 0x12; /* SYN and ACK looked at */
	r->v.rule.tcp_flags_value = 0x02; /* SYN without ACK */
	r->v.rule.action = XW_RULE_RATE_LIMIT;
	r->v.rule.rate_pps = 1000;
	r->v.rule.origin = XW_ORIGIN_VERDICT;
	snprintf(r->name, sizeof(r->name), "xwd-syn_flood-abc");
	xw_top_rules__update(&t, S);
	xw_top_render(&t, &l);
	s = join(&l);
	assert_contains(s, "verdict 198.51.100.7/32");
	assert_contains(s, "tcp dport 80 flags ");
	assert_contains(s, "rate 1000/s");
	assert_contains(s, "xwd-syn_flood-abc");
	free(s);
	xw_lines__free(&l);
	f = open_memstream(&s, &n);
	xw_top_json(&t, f);
	fclose(f);
	assert_contains(s, "\"origin\":\"verdict\",\"verdict\":\"xwd-syn_flood-abc\"");
	assert_contains(s, "\"action\":\"rate-limit\",\"rate_pps\":1000,\"l4_proto\":6,\"sport\":0,\"dport\":80,\"tcp_flags\":\"");
	assert_contains(s, "\"hits_pps\":null");
	free(s);
	xw_top__free(&t);
}

static void test_render_json(void **state)
{
	struct xw_top_iface ifs[2];
	struct xw_hh_view hh;
	struct xw_top t;
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	frame(&t, ifs, &hh);
	f = open_memstream(&s, &n);
	xw_top_json(&t, f);
	fclose(f);
	assert_contains(s, "\"interval_s\":1.000");
	assert_contains(s, "{\"name\":\"eth0\",\"sample_rate\":100,\"rates_valid\":true,\"seconds\":1.000000,\"pps\":1000.000,\"bps\":432000.000,\"traffic\":[{\"family\":\"ipv4\",\"l4\":\"tcp\",\"action\":\"pass\",\"pps\":1000.000,\"bps\":432000.000,\"packets\":1000,\"bytes\":54000}]}");
	assert_contains(s, "\"total\":{\"rates_valid\":true,\"pps\":2000.000,\"bps\":1216000.000");
	assert_contains(s, "\"rule_id\":1,\"origin\":\"local\",\"verdict\":\"\",\"src\":\"198.51.100.1/32\"");
	assert_contains(s, "\"dport\":0,\"tcp_flags\":\"\",\"hit_packets\":1000,\"hit_bytes\":0,\"hits_pps\":1000.000,\"ttl_left_s\":600");
	assert_contains(s, "\"kafka\":null,\"heavy_hitters\":null,\"attacks\":null}\n");
	free(s);

	t.kafka = true;
	t.kafka_bootstrap = "k:9092";
	f = open_memstream(&s, &n);
	xw_top_json(&t, f);
	fclose(f);
	assert_contains(s, "\"kafka\":{\"bootstrap\":\"k:9092\",\"status\":\"ok\"");
	assert_contains(s, "\"sources\":[{\"addr\":\"192.0.2.10\",\"pps\":1000.000,\"bps\":432000.000,\"packets\":1000}]");
	assert_contains(s, "\"attacks\":[{\"attack_id\":\"syn_flood/192.0.2.1/32\",\"phase\":\"update\",\"class\":\"syn_flood\"");
	assert_contains(s, "\"rule_ids\":[\"xwd-syn_flood-1\"]");
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);
	xw_top__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_iface_update),
		cmocka_unit_test(test_rule_rates),
		cmocka_unit_test(test_heavy_hitters),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_rule_qualifiers),
		cmocka_unit_test(test_render_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
