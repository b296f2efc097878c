// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tail.c - `xdpwatch tail`: decode FeatureBatch (and RuleStats, Alert) messages
 * from a topic into JSON lines, one per message, for humans and scripts.
 * Records are formatted by the same code as the collector's local output,
 * after turning each protobuf record back into a struct xw_record.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "record_json.h"
#include "tail.h"
#include "xdpwatch/v1/alerts.pb-c.h"
#include "xdpwatch/v1/features.pb-c.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void print_str(FILE *f, const char *key, const char *value)
{
	char esc[1024];

	if (xw_json_escape(value ? value : "", esc, sizeof(esc)))
		snprintf(esc, sizeof(esc), "(too long)");
	fprintf(f, "\"%s\":\"%s\"", key, esc);
}

static const char *ifname_of(const Xdpwatch__V1__FeatureBatch *b,
			     uint32_t ifindex)
{
	for (size_t i = 0; i < b->n_interfaces; i++)
		if (b->interfaces[i]->ifindex == ifindex)
			return b->interfaces[i]->ifname;
	return "";
}

/* Back from the wire into the one record layout we know how to print. */
static void record_from_pb(const Xdpwatch__V1__FeatureBatch *b,
			   const Xdpwatch__V1__FeatureRecord *pb,
			   struct xw_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = b->time_base_unix_ns + pb->ts_offset_ns;
	/* A record without addresses (not IP) has empty bytes fields, which
	 * protobuf-c unpacks as NULL: no memcpy from NULL, even of 0 bytes. */
	if (pb->src.len && pb->src.len <= sizeof(r->saddr))
		memcpy(r->saddr, pb->src.data, pb->src.len);
	if (pb->dst.len && pb->dst.len <= sizeof(r->daddr))
		memcpy(r->daddr, pb->dst.data, pb->dst.len);
	r->ifindex = pb->ifindex;
	r->rule_id = pb->rule_id;
	r->sample_rate = pb->sample_rate ? pb->sample_rate : b->sample_rate;
	r->pkt_len = pb->pkt_len;
	r->rx_queue = (uint16_t)pb->rx_queue;
	r->vlan_id = (uint16_t)pb->vlan_id;
	r->sport = (uint16_t)pb->sport;
	r->dport = (uint16_t)pb->dport;
	r->ip_len = (uint16_t)pb->ip_len;
	r->l4_payload_len = (uint16_t)pb->l4_payload_len;
	r->tcp_window = (uint16_t)pb->tcp_window;
	/* A record that names a version its addresses do not fit is shown
	 * without addresses rather than with garbage. */
	r->ip_ver = (pb->ip_version == 4 && pb->src.len == 4) ||
				    (pb->ip_version == 6 && pb->src.len == 16) ?
			    (uint8_t)pb->ip_version :
			    0;
	r->l4_proto = (uint8_t)pb->l4_proto;
	r->tcp_flags = (uint8_t)pb->tcp_flags;
	r->ttl = (uint8_t)pb->ttl;
	r->tos = (uint8_t)pb->tos;
	r->frag = (uint8_t)pb->frag;
	r->action = (uint8_t)pb->action;
	r->tunnel = (uint8_t)pb->tunnel;
	r->vlan_count = (uint8_t)pb->vlan_count;
	/* Ports and ICMP type/code are in the record whenever L4 was read. */
	if (pb->sport || pb->dport || pb->tcp_flags || pb->l4_proto == 1 ||
	    pb->l4_proto == 58)
		r->flags |= XW_REC_L4_VALID;
	if (pb->parse_error)
		r->flags |= XW_REC_PARSE_ERROR;
}

static void print_batch(FILE *f, const Xdpwatch__V1__FeatureBatch *b,
			const struct xw_kafka_msg *m)
{
	const Xdpwatch__V1__CollectorLosses *l = b->losses;
	char line[XW_RECORD_JSON_MAX];
	struct xw_record r;

	fputc('{', f);
	print_str(f, "host_id", b->host_id);
	fputc(',', f);
	print_str(f, "collector_id", b->collector_id);
	fprintf(f, ",\"sequence\":%llu,\"schema_version\":%u,\"partition\":%d,\"offset\":%lld,\"time_base_unix_ns\":%llu,\"sample_rate\":%u",
		(unsigned long long)b->sequence, b->schema_version, m->partition,
		(long long)m->offset, (unsigned long long)b->time_base_unix_ns,
		b->sample_rate);
	if (l)
		fprintf(f, ",\"losses\":{\"records_lost_queue_full\":%llu,\"batches_lost_queue_full\":%llu,\"records_delivery_failed\":%llu,\"batches_delivery_failed\":%llu,\"records_ringbuf_full\":%llu,\"batches_produced\":%llu,\"records_produced\":%llu}",
			(unsigned long long)l->records_lost_queue_full,
			(unsigned long long)l->batches_lost_queue_full,
			(unsigned long long)l->records_delivery_failed,
			(unsigned long long)l->batches_delivery_failed,
			(unsigned long long)l->records_ringbuf_full,
			(unsigned long long)l->batches_produced,
			(unsigned long long)l->records_produced);
	fprintf(f, ",\"counters\":[");
	for (size_t i = 0; i < b->n_counters; i++) {
		const Xdpwatch__V1__InterfaceCounters *c = b->counters[i];

		fprintf(f, "%s{\"ifindex\":%u,", i ? "," : "", c->ifindex);
		print_str(f, "ifname", c->ifname);
		fprintf(f, ",\"traffic\":[");
		for (size_t t = 0; t < c->n_traffic; t++)
			fprintf(f, "%s{\"ip_version\":%u,\"l4\":\"%s\",\"action\":%d,\"packets\":%llu,\"bytes\":%llu}",
				t ? "," : "", c->traffic[t]->ip_version,
				c->traffic[t]->l4, c->traffic[t]->action,
				(unsigned long long)c->traffic[t]->packets,
				(unsigned long long)c->traffic[t]->bytes);
		fprintf(f, "],\"events\":{");
		for (size_t e = 0; e < c->n_events; e++)
			fprintf(f, "%s\"%s\":%llu", e ? "," : "", c->events[e]->name,
				(unsigned long long)c->events[e]->count);
		fprintf(f, "}}");
	}
	fprintf(f, "],\"n_records\":%zu,\"records\":[", b->n_records);
	for (size_t i = 0; i < b->n_records; i++) {
		int n;

		record_from_pb(b, b->records[i], &r);
		n = xw_record_json(&r, 0, ifname_of(b, r.ifindex), line,
				   sizeof(line));
		if (n > 0)
			fprintf(f, "%s%.*s", i ? "," : "", n - 1, line);
	}
	fprintf(f, "]}\n");
}

static void print_rulestats(FILE *f, const Xdpwatch__V1__RuleStats *rs,
			    const struct xw_kafka_msg *m)
{
	fputc('{', f);
	print_str(f, "host_id", rs->host_id);
	fprintf(f, ",\"schema_version\":%u,\"partition\":%d,\"offset\":%lld,\"interval_start_unix_ns\":%llu,\"interval_end_unix_ns\":%llu,\"rules\":[",
		rs->schema_version, m->partition, (long long)m->offset,
		(unsigned long long)rs->interval_start_unix_ns,
		(unsigned long long)rs->interval_end_unix_ns);
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Xdpwatch__V1__RuleStat *r = rs->rules[i];

		fprintf(f, "%s{", i ? "," : "");
		print_str(f, "rule_id", r->rule_id);
		fputc(',', f);
		print_str(f, "ifname", r->ifname);
		fprintf(f, ",\"version\":%llu,\"action\":%d,\"packets\":%llu,\"bytes\":%llu,\"packets_total\":%llu,\"bytes_total\":%llu}",
			(unsigned long long)r->version, r->action,
			(unsigned long long)r->packets, (unsigned long long)r->bytes,
			(unsigned long long)r->packets_total,
			(unsigned long long)r->bytes_total);
	}
	fprintf(f, "],\"refused\":{");
	for (size_t i = 0; i < rs->n_refused; i++) {
		char key[128];

		if (xw_json_escape(rs->refused[i]->key, key, sizeof(key)))
			continue;
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", key,
			(unsigned long long)rs->refused[i]->value);
	}
	fprintf(f, "}}\n");
}

/* An enum value by its name in the schema, lower case without the
 * prefix ("ATTACK_SYN_FLOOD" -> "syn_flood"), as the detector's own
 * JSON lines spell it. */
static void print_enum(FILE *f, const char *key, const ProtobufCEnumDescriptor *d,
		       int value, const char *prefix)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	const char *name = v ? v->name : "unknown";

	if (!strncmp(name, prefix, strlen(prefix)))
		name += strlen(prefix);
	fprintf(f, ",\"%s\":\"", key);
	for (; *name; name++)
		fputc(tolower((unsigned char)*name), f);
	fputc('"', f);
}

static const char *addr_text(const ProtobufCBinaryData *a, char *buf, size_t len)
{
	if ((a->len != 4 && a->len != 16) ||
	    !inet_ntop(a->len == 4 ? AF_INET : AF_INET6, a->data, buf, (socklen_t)len))
		return "";
	return buf;
}

static void print_alert(FILE *f, const Xdpwatch__V1__Alert *a,
			const struct xw_kafka_msg *m)
{
	char buf[64];

	fputc('{', f);
	print_str(f, "attack_id", a->attack_id);
	print_enum(f, "phase", &xdpwatch__v1__alert_phase__descriptor, a->phase, "ALERT_");
	print_enum(f, "class", &xdpwatch__v1__attack_class__descriptor, a->attack_class,
		   "ATTACK_");
	print_enum(f, "vector", &xdpwatch__v1__attack_class__descriptor, a->vector,
		   "ATTACK_");
	fprintf(f, ",\"victim\":\"%s/%u\"",
		a->victim ? addr_text(&a->victim->addr, buf, sizeof(buf)) : "",
		a->victim ? a->victim->len : 0);
	fprintf(f, ",\"partition\":%d,\"offset\":%lld,\"time_unix_ns\":%llu,\"start_unix_ns\":%llu,\"detected_unix_ns\":%llu,\"end_unix_ns\":%llu",
		m->partition, (long long)m->offset,
		(unsigned long long)a->time_unix_ns,
		(unsigned long long)a->start_unix_ns,
		(unsigned long long)a->detected_unix_ns,
		(unsigned long long)a->end_unix_ns);
	fprintf(f, ",\"pps\":%.0f,\"bps\":%.0f,\"peak_pps\":%.0f,\"peak_bps\":%.0f,\"threshold_pps\":%.0f,\"spoofed\":%s,\"distinct_sources\":%llu",
		a->pps, a->bps, a->peak_pps, a->peak_bps, a->threshold_pps,
		a->spoofed ? "true" : "false",
		(unsigned long long)a->distinct_sources);
	fputs(",\"top_sources\":[", f);
	for (size_t i = 0; i < a->n_top_sources; i++)
		fprintf(f, "%s{\"addr\":\"%s\",\"pps\":%.0f}", i ? "," : "",
			addr_text(&a->top_sources[i]->addr, buf, sizeof(buf)),
			a->top_sources[i]->pps);
	fputs("],\"rule_ids\":[", f);
	for (size_t i = 0; i < a->n_rule_ids; i++) {
		char esc[256];

		if (xw_json_escape(a->rule_ids[i], esc, sizeof(esc)))
			esc[0] = '\0';
		fprintf(f, "%s\"%s\"", i ? "," : "", esc);
	}
	fputs("],", f);
	print_str(f, "detector", a->detector);
	fputc(',', f);
	print_str(f, "mitigation", a->mitigation);
	fputs("}\n", f);
}

/* A message of another schema than FeatureBatch; false if not ours. */
static bool print_other(const struct xw_kafka_msg *m)
{
	Xdpwatch__V1__RuleStats *rs;

	if (!strcmp(m->schema, "xdpwatch.v1.Alert")) {
		Xdpwatch__V1__Alert *a = xdpwatch__v1__alert__unpack(NULL, m->len, m->value);

		if (!a)
			return false;
		print_alert(stdout, a, m);
		xdpwatch__v1__alert__free_unpacked(a, NULL);
		return true;
	}
	if (strcmp(m->schema, "xdpwatch.v1.RuleStats"))
		return false;
	rs = xdpwatch__v1__rule_stats__unpack(NULL, m->len, m->value);
	if (!rs)
		return false;
	print_rulestats(stdout, rs, m);
	xdpwatch__v1__rule_stats__free_unpacked(rs, NULL);
	return true;
}

int xw_tail(const struct xw_tail_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct xw_consumer *c;
	struct xw_kafka_msg m;
	uint64_t shown = 0, bad = 0;
	char err[512];
	int idle_ms = 0, ret;

	ret = xw_consumer__new(&c, o->props, o->topic, o->from_beginning, err,
			       sizeof(err));
	if (ret) {
		pr_err("tail: %s", err);
		return ret;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop && (!o->max || shown < o->max)) {
		Xdpwatch__V1__FeatureBatch *b;

		ret = xw_consumer__next(c, 200, &m);
		if (ret < 0) {
			pr_err("tail: topic %s: %s", o->topic, strerror(-ret));
			break;
		}
		if (ret == 0) {
			idle_ms += 200;
			if (o->idle_timeout_ms && idle_ms >= o->idle_timeout_ms)
				break;
			continue;
		}
		idle_ms = 0;
		ret = 0;
		if (!m.value)
			continue; /* a tombstone: nothing to decode */
		if (m.schema && strcmp(m.schema, "xdpwatch.v1.FeatureBatch")) {
			if (print_other(&m)) {
				fflush(stdout);
				shown++;
				continue;
			}
			pr_warn("tail: partition %d offset %lld: schema %s, which tail does not decode; skipped",
				m.partition, (long long)m.offset, m.schema);
			bad++;
			continue;
		}
		b = xdpwatch__v1__feature_batch__unpack(NULL, m.len, m.value);
		if (!b) {
			pr_warn("tail: partition %d offset %lld: %zu bytes that are not a FeatureBatch; skipped",
				m.partition, (long long)m.offset, m.len);
			bad++;
			continue;
		}
		print_batch(stdout, b, &m);
		fflush(stdout);
		xdpwatch__v1__feature_batch__free_unpacked(b, NULL);
		shown++;
	}
	xw_consumer__destroy(c);
	if (bad)
		pr_warn("tail: %llu undecodable messages skipped",
			(unsigned long long)bad);
	return ret;
}
