/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tail.h - `xdpwatch tail`: FeatureBatch messages from a topic as JSON
 * lines. Returns 0, or negative errno after logging why.
 */
#ifndef XW_TAIL_H
#define XW_TAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct xw_tail_opts {
	const struct xw_cfg_kv *props; /* librdkafka properties */
	const char *topic;
	bool from_beginning;
	uint64_t max; /* stop after this many messages; 0 never */
	int idle_timeout_ms; /* stop after this long without one; 0 never */
};

int xw_tail(const struct xw_tail_opts *o);

#endif /* XW_TAIL_H */
