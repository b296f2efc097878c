/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * counters.h - one interface's exact counters, read from its maps, for the
 * stats line and for the FeatureBatch counters snapshot.
 *
 *   xw_counters__read(maps, &c)          every traffic slot and event
 *   xw_counters__sum(&c, &totals)        what the stats line shows
 *   xw_counters__to_pb(&c, ifindex, ifname, &pb)
 *                                        non-zero slots as protobuf, with
 *                                        storage inside struct xw_counters_pb
 */
#ifndef XW_COUNTERS_H
#define XW_COUNTERS_H

#include <stdint.h>

#include "pinned.h"
#include "xdpwatch/v1/features.pb-c.h"

struct xw_counters {
	struct xw_counter traffic[XW_TRAFFIC_SLOTS];
	uint64_t events[XW_EV_COUNT];
};

struct xw_totals {
	struct xw_counter all;
	uint64_t dropped, monitored, allowed;
	uint64_t parse_errors, sampled, lost;
};

struct xw_counters_pb {
	Xdpwatch__V1__InterfaceCounters ic;
	Xdpwatch__V1__TrafficCounter traffic[XW_TRAFFIC_SLOTS];
	Xdpwatch__V1__TrafficCounter *traffic_ptrs[XW_TRAFFIC_SLOTS];
	Xdpwatch__V1__EventCounter events[XW_EV_COUNT];
	Xdpwatch__V1__EventCounter *event_ptrs[XW_EV_COUNT];
};

int xw_counters__read(const struct xw_maps *m, struct xw_counters *c);
void xw_counters__sum(const struct xw_counters *c, struct xw_totals *t);
void xw_counters__to_pb(const struct xw_counters *c, uint32_t ifindex,
			const char *ifname, struct xw_counters_pb *pb);

#endif /* XW_COUNTERS_H */
