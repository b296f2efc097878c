// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * seeds.c - writes the seed corpora that are generated rather than typed:
 * corpus/verdict/, envelopes sealed by xw_envelope_seal() with the fixed
 * test key of fuzz_keys.h in both input forms fuzz_verdict.c reads, and
 * corpus/feature_decode/, FeatureBatches packed by protobuf-c. Run by hand
 * when a format changes:
 *   build-fuzz/fuzz/xw-fuzz-seeds fuzz/corpus
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_keys.h"
#include "verdict.h"
#include "xdpwatch/v1/features.pb-c.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

static void write_file(const char *dir, const char *name, const uint8_t *a,
		       size_t alen, const uint8_t *b, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* One message in both forms: raw (mode 0) and body for re-signing (1). */
static void emit(const char *dir, const char *name,
		 const struct xw_verdict_msg *m,
		 const struct xw_signing_key *key)
{
	Xdpwatch__V1__SignedEnvelope *env;
	uint8_t *buf, hdr[3 + 256 + 8];
	size_t len, klen = strlen(m->rule_id), h = 0;
	char file[128];

	if (xw_envelope_seal(m, FUZZ_TOPIC, key, &buf, &len)) {
		fprintf(stderr, "%s: seal failed\n", name);
		exit(1);
	}
	hdr[h++] = 0;
	hdr[h++] = (uint8_t)klen;
	memcpy(hdr + h, m->rule_id, klen);
	h += klen;
	snprintf(file, sizeof(file), "raw-%s", name);
	write_file(dir, file, hdr, h, buf, len);

	env = xdpwatch__v1__signed_envelope__unpack(NULL, len, buf);
	h = 0;
	hdr[h++] = 1;
	hdr[h++] = m->kind == XW_VERDICT_KIND_WITHDRAW;
	hdr[h++] = (uint8_t)klen;
	memcpy(hdr + h, m->rule_id, klen);
	h += klen;
	for (int i = 7; i >= 0; i--)
		hdr[h++] = (uint8_t)(m->version >> (8 * i));
	snprintf(file, sizeof(file), "resign-%s", name);
	if (m->kind == XW_VERDICT_KIND_WITHDRAW)
		write_file(dir, file, hdr, h, env->withdraw.data,
			   env->withdraw.len);
	else
		write_file(dir, file, hdr, h, env->verdict.data,
			   env->verdict.len);
	xdpwatch__v1__signed_envelope__free_unpacked(env, NULL);
	free(buf);
}

static void write_batch(const char *dir, const char *name,
			const Xdpwatch__V1__FeatureBatch *b)
{
	size_t len = xdpwatch__v1__feature_batch__get_packed_size(b);
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		exit(1);
	xdpwatch__v1__feature_batch__pack(b, buf);
	write_file(dir, name, buf, len, NULL, 0);
	free(buf);
}

/* Batches as the collector writes them: records of each family, a
 * non-IP one, counters and losses; and a batch of nothing but header. */
static void feature_batches(const char *dir)
{
	static uint8_t s4[4] = { 198, 51, 100, 7 }, d4[4] = { 203, 0, 113, 9 };
	static uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 };
	static uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 9 };
	Xdpwatch__V1__FeatureBatch b = XDPWATCH__V1__FEATURE_BATCH__INIT;
	Xdpwatch__V1__FeatureRecord r[3], *rp[3];
	Xdpwatch__V1__Interface ifc = XDPWATCH__V1__INTERFACE__INIT, *ifp = &ifc;
	Xdpwatch__V1__InterfaceCounters c = XDPWATCH__V1__INTERFACE_COUNTERS__INIT;
	Xdpwatch__V1__InterfaceCounters *cp = &c;
	Xdpwatch__V1__TrafficCounter t = XDPWATCH__V1__TRAFFIC_COUNTER__INIT;
	Xdpwatch__V1__TrafficCounter *tp = &t;
	Xdpwatch__V1__EventCounter e = XDPWATCH__V1__EVENT_COUNTER__INIT;
	Xdpwatch__V1__EventCounter *ep = &e;
	Xdpwatch__V1__CollectorLosses l = XDPWATCH__V1__COLLECTOR_LOSSES__INIT;

	b.schema_version = 1;
	b.host_id = "host-1";
	b.collector_id = "host-1/1234";
	b.sequence = 42;
	b.time_base_unix_ns = FUZZ_NOW_NS;
	b.sample_rate = 100;
	write_batch(dir, "header-only", &b);

	for (int i = 0; i < 3; i++) {
		xdpwatch__v1__feature_record__init(&r[i]);
		rp[i] = &r[i];
		r[i].ts_offset_ns = 1000u * (unsigned int)i;
		r[i].ifindex = 3;
		r[i].pkt_len = 60;
	}
	r[0].src = (ProtobufCBinaryData){ 4, s4 };
	r[0].dst = (ProtobufCBinaryData){ 4, d4 };
	r[0].ip_version = 4;
	r[0].l4_proto = 6;
	r[0].sport = 40000;
	r[0].dport = 443;
	r[0].tcp_flags = 0x02;
	r[0].ttl = 61;
	r[0].ip_len = 40;
	r[0].action = XDPWATCH__V1__ACTION__ACTION_DROP;
	r[0].rule_id = 65537;
	r[1].src = (ProtobufCBinaryData){ 16, s6 };
	r[1].dst = (ProtobufCBinaryData){ 16, d6 };
	r[1].ip_version = 6;
	r[1].l4_proto = 17;
	r[1].sport = 53;
	r[1].dport = 33000;
	r[1].ip_len = 120;
	r[1].l4_payload_len = 72;
	r[1].vlan_id = 100;
	r[1].vlan_count = 1;
	r[1].tunnel = XDPWATCH__V1__TUNNEL__TUNNEL_VXLAN;
	r[1].sample_rate = 1;
	r[2].parse_error = 1; /* not IP, cut short */
	b.n_records = 3;
	b.records = rp;
	ifc.ifindex = 3;
	ifc.ifname = "eth0";
	b.n_interfaces = 1;
	b.interfaces = &ifp;
	t.ip_version = 4;
	t.l4 = "tcp";
	t.action = XDPWATCH__V1__ACTION__ACTION_DROP;
	t.packets = 1000;
	t.bytes = 60000;
	e.name = "ipv4_trunc";
	e.count = 2;
	c.ifindex = 3;
	c.ifname = "eth0";
	c.n_traffic = 1;
	c.traffic = &tp;
	c.n_events = 1;
	c.events = &ep;
	b.n_counters = 1;
	b.counters = &cp;
	l.records_lost_queue_full = 5;
	l.records_produced = 9000;
	b.losses = &l;
	write_batch(dir, "three-records", &b);
}

static void prefix(struct xw_prefix *p, const char *text)
{
	char err[128];

	if (xw_prefix_parse(text, p, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct xw_signing_key key;
	struct xw_keyring ring;
	struct xw_verdict_msg m;
	const uint64_t created = FUZZ_NOW_NS - 30ULL * 1000000000ULL;

	char dir[512];

	if (argc != 2 || fuzz_keys_init(&key, &ring)) {
		fprintf(stderr, "usage: xw-fuzz-seeds CORPUS_ROOT\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/feature_decode", argv[1]);
	feature_batches(dir);
	snprintf(dir, sizeof(dir), "%s/verdict", argv[1]);

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_VERDICT;
	strcpy(m.rule_id, "soc-0001");
	m.version = 1;
	strcpy(m.issuer, "soc");
	strcpy(m.reason, "SYN flood");
	m.created_unix_ns = created;
	prefix(&m.v.src, "198.51.100.66/32");
	m.v.ttl_s = 600;
	m.v.all_hosts = true;
	emit(dir, "v4-drop", &m, &key);

	strcpy(m.rule_id, "det:v6.udp-53");
	m.version = 7;
	prefix(&m.v.src, "2001:db8:66::/48");
	prefix(&m.v.dst, "2001:db8:1::9/128");
	m.v.l4_proto = 17;
	m.v.sport = 53;
	m.v.action = XW_VERDICT_MONITOR;
	m.v.all_hosts = false;
	m.v.nhosts = 2;
	strcpy(m.v.hosts[0], "host-1");
	strcpy(m.v.hosts[1], "host-2");
	m.v.ngroups = 1;
	strcpy(m.v.groups[0], "edge");
	strcpy(m.reason, "réflexion DNS");
	emit(dir, "v6-dst-monitor", &m, &key);

	memset(&m.v, 0, sizeof(m.v));
	strcpy(m.rule_id, "rl-1");
	m.version = 3;
	prefix(&m.v.src, "0.0.0.0/0");
	m.v.l4_proto = 6;
	m.v.dport = 443;
	m.v.action = XW_VERDICT_RATE_LIMIT;
	m.v.rate_pps = 1000;
	m.v.ttl_s = 3600;
	m.v.all_hosts = true;
	emit(dir, "v4-any-tcp443-ratelimit", &m, &key);

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_WITHDRAW;
	strcpy(m.rule_id, "soc-0001");
	m.version = 2;
	strcpy(m.issuer, "soc");
	strcpy(m.reason, "over");
	m.created_unix_ns = created;
	emit(dir, "withdraw", &m, &key);
	return 0;
}
