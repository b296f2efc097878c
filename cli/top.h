/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * top.h - `xdpwatch top`: a live view of the watched interfaces, redrawn
 * in place every interval: exact rates from the pinned counters, the rules
 * and their hits, and with Kafka heavy hitters (sampled records of
 * xdpwatch.features.v1) and current attacks (xdpwatch.alerts.v1).
 * Returns 0, or negative errno after logging why.
 */
#ifndef XW_TOP_H
#define XW_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define XW_TOP_FEATURES_TOPIC "xdpwatch.features.v1"
#define XW_TOP_ALERTS_TOPIC "xdpwatch.alerts.v1"
/* Sampled records reach the topic up to a batch linger (100 ms by
 * default) and a produce after their packets: a heavy-hitter window is
 * shown this long after it ends, so that it is complete. */
#define XW_TOP_SETTLE_MS 1000

struct xw_top_opts {
	const char *pin_root;
	const char *const *ifaces; /* NULL/0: every interface under pin_root */
	int nifaces;
	uint64_t interval_ms;
	bool once, json;
	size_t top_n;
	unsigned int width; /* 0: the terminal's, or none when not a tty */
	const char *kafka; /* bootstrap servers, or NULL: Kafka off */
	const struct xw_cfg_kv *props; /* librdkafka properties */
	const char *features_topic, *alerts_topic;
	const char *host; /* heavy hitters of this host id only, or NULL */
};

int xw_top(const struct xw_top_opts *o);

#endif /* XW_TOP_H */
