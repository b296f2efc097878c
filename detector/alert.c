// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* alert.c - alerts as protobuf and as JSON lines. See alert.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "record_json.h"
#include "xdpwatch/v1/alerts.pb-c.h"

const char *xw_alert_phase_name(enum xw_alert_phase p)
{
	return p == XW_ALERT_START ? "start" : p == XW_ALERT_END ? "end" : "update";
}

static void pack_shares(const struct xw_alert_share *in, unsigned int n,
			Xdpwatch__V1__SourceShare *src, Xdpwatch__V1__SourceShare **srcp,
			Xdpwatch__V1__PortShare *port, Xdpwatch__V1__PortShare **portp)
{
	for (unsigned int i = 0; i < n; i++) {
		if (src) {
			xdpwatch__v1__source_share__init(&src[i]);
			src[i].addr.data = (uint8_t *)in[i].addr;
			src[i].addr.len = in[i].len;
			src[i].pps = in[i].pps;
			srcp[i] = &src[i];
		} else {
			xdpwatch__v1__port_share__init(&port[i]);
			port[i].port = in[i].port;
			port[i].pps = in[i].pps;
			portp[i] = &port[i];
		}
	}
}

int xw_alert_pack(const struct xw_alert *a, uint8_t **buf, size_t *len)
{
	Xdpwatch__V1__Alert m = XDPWATCH__V1__ALERT__INIT;
	Xdpwatch__V1__Prefix victim = XDPWATCH__V1__PREFIX__INIT;
	Xdpwatch__V1__SourceShare srcs[XW_ALERT_TOP], *srcp[XW_ALERT_TOP];
	Xdpwatch__V1__PortShare sports[XW_ALERT_TOP], *sportp[XW_ALERT_TOP];
	Xdpwatch__V1__PortShare dports[XW_ALERT_TOP], *dportp[XW_ALERT_TOP];
	char *rules[XW_PLAN_MAX], *hosts[XW_DST_HOSTS];
	char *id = (char *)a->attack_id, *det = (char *)a->detector,
	     *mit = (char *)a->mitigation;

	m.schema_version = 1;
	m.attack_id = id;
	m.phase = (Xdpwatch__V1__AlertPhase)a->phase;
	m.attack_class = (Xdpwatch__V1__AttackClass)a->cls;
	m.vector = (Xdpwatch__V1__AttackClass)a->vector;
	victim.addr.data = (uint8_t *)a->victim.addr;
	victim.addr.len = a->victim.family == 6 ? 16 : 4;
	victim.len = a->victim.len;
	m.victim = &victim;
	m.time_unix_ns = a->time_ns;
	m.start_unix_ns = a->start_ns;
	m.detected_unix_ns = a->detected_ns;
	m.end_unix_ns = a->end_ns;
	m.pps = a->pps;
	m.bps = a->bps;
	m.peak_pps = a->peak_pps;
	m.peak_bps = a->peak_bps;
	m.threshold_pps = a->threshold_pps;
	m.spoofed = a->spoofed;
	m.distinct_sources = a->distinct_sources;
	m.distinct_destinations = a->distinct_destinations;
	m.l4_proto = a->l4_proto;
	pack_shares(a->srcs, a->nsrcs, srcs, srcp, NULL, NULL);
	m.n_top_sources = a->nsrcs;
	m.top_sources = srcp;
	pack_shares(a->sports, a->nsports, NULL, NULL, sports, sportp);
	m.n_top_source_ports = a->nsports;
	m.top_source_ports = sportp;
	pack_shares(a->dports, a->ndports, NULL, NULL, dports, dportp);
	m.n_top_destination_ports = a->ndports;
	m.top_destination_ports = dportp;
	for (unsigned int i = 0; i < a->nrules; i++)
		rules[i] = (char *)a->rule_ids[i];
	m.n_rule_ids = a->nrules;
	m.rule_ids = rules;
	for (unsigned int i = 0; i < a->nhosts; i++)
		hosts[i] = (char *)a->hosts[i];
	m.n_hosts = a->nhosts;
	m.hosts = hosts;
	m.detector = det;
	m.mitigation = mit;
	*len = xdpwatch__v1__alert__get_packed_size(&m);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return -ENOMEM;
	xdpwatch__v1__alert__pack(&m, *buf);
	return 0;
}

static const char *addr_str(uint8_t len, const uint8_t *addr, char *buf,
			    size_t n)
{
	return inet_ntop(len == 16 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)n) ?
		       buf : "?";
}

/* Strings we made ourselves, but escaped all the same: a host id comes
 * from a collector's config. */
static void json_str(FILE *out, const char *key, const char *s, bool comma)
{
	char esc[512];

	if (xw_json_escape(s, esc, sizeof(esc)))
		esc[0] = '\0';
	fprintf(out, "%s\"%s\":\"%s\"", comma ? "," : "", key, esc);
}

void xw_alert_json(const struct xw_alert *a, FILE *out)
{
	char buf[INET6_ADDRSTRLEN];

	fputc('{', out);
	json_str(out, "attack_id", a->attack_id, false);
	json_str(out, "phase", xw_alert_phase_name(a->phase), true);
	json_str(out, "class", xw_class_name(a->cls), true);
	json_str(out, "vector", xw_class_name(a->vector), true);
	fprintf(out, ",\"victim\":\"%s/%u\"",
		addr_str(a->victim.family == 6 ? 16 : 4, a->victim.addr, buf,
			 sizeof(buf)),
		a->victim.len);
	fprintf(out,
		",\"time_unix_ns\":%" PRIu64 ",\"start_unix_ns\":%" PRIu64
		",\"detected_unix_ns\":%" PRIu64 ",\"end_unix_ns\":%" PRIu64,
		a->time_ns, a->start_ns, a->detected_ns, a->end_ns);
	fprintf(out,
		",\"pps\":%.0f,\"bps\":%.0f,\"peak_pps\":%.0f,\"peak_bps\":%.0f,\"threshold_pps\":%.0f",
		a->pps, a->bps, a->peak_pps, a->peak_bps, a->threshold_pps);
	fprintf(out,
		",\"spoofed\":%s,\"distinct_sources\":%" PRIu64
		",\"distinct_destinations\":%" PRIu64 ",\"l4_proto\":%u",
		a->spoofed ? "true" : "false", a->distinct_sources,
		a->distinct_destinations, a->l4_proto);
	fputs(",\"top_sources\":[", out);
	for (unsigned int i = 0; i < a->nsrcs; i++)
		fprintf(out, "%s{\"addr\":\"%s\",\"pps\":%.0f}", i ? "," : "",
			addr_str(a->srcs[i].len, a->srcs[i].addr, buf, sizeof(buf)),
			a->srcs[i].pps);
	fputs("],\"top_source_ports\":[", out);
	for (unsigned int i = 0; i < a->nsports; i++)
		fprintf(out, "%s{\"port\":%u,\"pps\":%.0f}", i ? "," : "",
			a->sports[i].port, a->sports[i].pps);
	fputs("],\"top_destination_ports\":[", out);
	for (unsigned int i = 0; i < a->ndports; i++)
		fprintf(out, "%s{\"port\":%u,\"pps\":%.0f}", i ? "," : "",
			a->dports[i].port, a->dports[i].pps);
	fputs("],\"rule_ids\":[", out);
	for (unsigned int i = 0; i < a->nrules; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", a->rule_ids[i]);
	fputs("],\"hosts\":[", out);
	for (unsigned int i = 0; i < a->nhosts; i++) {
		char esc[XW_TARGET_MAX * 6];

		if (xw_json_escape(a->hosts[i], esc, sizeof(esc)))
			esc[0] = '\0';
		fprintf(out, "%s\"%s\"", i ? "," : "", esc);
	}
	fputc(']', out);
	json_str(out, "detector", a->detector, true);
	json_str(out, "mitigation", a->mitigation, true);
	fputs("}\n", out);
}
