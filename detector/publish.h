/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * publish.h - what the detector says: signed verdicts on the verdict
 * topic, alerts on the alerts topic and as JSON lines. Never blocks: a
 * full producer queue is counted, like a failed delivery.
 *
 *   xw_publisher__new(&p, opts, err, errlen)
 *       loads the signing key (none: alerts only), checks the brokers and
 *       the topics, opens the JSON sink
 *   xw_publisher__verdict(p, m)   seal and produce; -ENOKEY without a key
 *   xw_publisher__alert(p, a)
 *   xw_publisher__poll(p), xw_publisher__flush(p, ms), xw_publisher__free(p)
 */
#ifndef XW_PUBLISH_H
#define XW_PUBLISH_H

#include "alert.h"
#include "config.h"
#include "kafka.h"
#include "verdict.h"

struct xw_publisher_opts {
	const struct xw_cfg_kv *props;
	const char *verdicts_topic;
	const char *alerts_topic; /* "" none */
	const char *signing_key; /* "" none */
	const char *alerts_json; /* "-", a path, "none" */
	int check_ms;
};

struct xw_publisher_stats {
	uint64_t verdicts, verdicts_refused; /* refused by the queue or seal */
	uint64_t alerts, alerts_refused, json_lines;
};

struct xw_publisher;

int xw_publisher__new(struct xw_publisher **p,
		      const struct xw_publisher_opts *o, char *err,
		      size_t errlen);
int xw_publisher__verdict(struct xw_publisher *p,
			  const struct xw_verdict_msg *m);
void xw_publisher__alert(struct xw_publisher *p, const struct xw_alert *a);
void xw_publisher__poll(struct xw_publisher *p);
void xw_publisher__flush(struct xw_publisher *p, int timeout_ms);
const struct xw_publisher_stats *
xw_publisher__stats(const struct xw_publisher *p);
const struct xw_producer_stats *
xw_publisher__verdict_stats(struct xw_publisher *p);
void xw_publisher__free(struct xw_publisher *p);

#endif /* XW_PUBLISH_H */
