/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rulestats.h - what each rule does on this host, published for SOC
 * tooling as xdpwatch.v1.RuleStats on xdpwatch.rulestats.v1 (key: host id)
 * once per interval: packets and bytes each rule matched in the interval
 * and since it was applied, named by the verdict's rule id (or "local:N"
 * for a rule added with the CLI), and the verdicts refused so far.
 *
 *   xw_rulestats__new(&rs, props, topic, host_id, err, errlen)
 *   xw_rulestats__publish(rs, ifaces, n, refused)   one message; never
 *                                                   blocks (a full queue
 *                                                   drops it, counted)
 *   xw_rulestats__stats(rs)                         its producer's counters
 *   xw_rulestats__free(rs)
 */
#ifndef XW_RULESTATS_H
#define XW_RULESTATS_H

#include <stddef.h>
#include <stdint.h>

#include "attach.h"
#include "config.h"
#include "kafka.h"
#include "xdpwatch_shared.h"

struct xw_rulestats;

int xw_rulestats__new(struct xw_rulestats **rs, const struct xw_cfg_kv *props,
		      const char *topic, const char *host_id, char *err,
		      size_t errlen);
int xw_rulestats__publish(struct xw_rulestats *rs, const struct xw_iface *ifaces,
			  int n, const uint64_t refused[XW_REFUSE_COUNT]);
const struct xw_producer_stats *xw_rulestats__stats(struct xw_rulestats *rs);
void xw_rulestats__free(struct xw_rulestats *rs);

#endif /* XW_RULESTATS_H */
