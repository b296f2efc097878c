/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * alert.h - one attack alert (xdpwatch.v1.Alert) as the detector holds it,
 * and its two encodings: protobuf for the alerts topic, a JSON line for
 * tools that read text.
 *
 *   xw_alert_pack(a, &buf, &len)        protobuf; caller frees buf
 *   xw_alert_json(a, out)               one line, '\n' included
 */
#ifndef XW_ALERT_H
#define XW_ALERT_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "planner.h"

#define XW_ALERT_TOP 8
#define XW_ALERT_ID_MAX 96

enum xw_alert_phase {
	XW_ALERT_START = 0,
	XW_ALERT_UPDATE = 1,
	XW_ALERT_END = 2,
};

struct xw_alert_share {
	uint8_t len; /* address bytes; 0 for a port */
	uint8_t addr[16];
	uint16_t port;
	double pps;
};

struct xw_alert {
	char attack_id[XW_ALERT_ID_MAX];
	enum xw_alert_phase phase;
	enum xw_attack_class cls, vector;
	struct xw_dkey victim;
	uint64_t time_ns, start_ns, detected_ns, end_ns;
	double pps, bps, peak_pps, peak_bps, threshold_pps;
	bool spoofed;
	uint64_t distinct_sources, distinct_destinations;
	uint8_t l4_proto;
	unsigned int nsrcs, nsports, ndports;
	struct xw_alert_share srcs[XW_ALERT_TOP], sports[XW_ALERT_TOP],
		dports[XW_ALERT_TOP];
	unsigned int nrules;
	char rule_ids[XW_PLAN_MAX][XW_RULE_ID_MAX];
	unsigned int nhosts;
	char hosts[XW_DST_HOSTS][XW_TARGET_MAX];
	char detector[XW_ISSUER_MAX];
	char mitigation[256];
};

int xw_alert_pack(const struct xw_alert *a, uint8_t **buf, size_t *len);
void xw_alert_json(const struct xw_alert *a, FILE *out);
const char *xw_alert_phase_name(enum xw_alert_phase p);

#endif /* XW_ALERT_H */
