/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * verdicts.h - the verdict topic into this host's drop maps.
 *
 *   xw_verdicts__new(&v, opts, ifaces, n)
 *       load the trusted keys and start reading every partition of the
 *       verdict topic from the beginning
 *   xw_verdicts__fd(v)     readable when verdicts arrive: for the epoll loop
 *   xw_verdicts__poll(v)   returns true when more are waiting: it stops
 *                          after a budget so the drain is not held up
 *       read what has arrived without blocking; until the topic's content
 *       at start has been read, only remember it; then reconcile once
 *       (keep the rules the topic still wants, as they are; remove what it
 *       no longer does, including what an earlier run left behind) and
 *       from then on apply each verdict as it comes; also retire verdicts
 *       whose TTL passed
 *   xw_verdicts__stats(v)
 *   xw_verdicts__free(v)
 *
 * Every refusal is logged with its reason once and counted by reason;
 * nothing refused reaches the maps.
 */
#ifndef XW_VERDICTS_H
#define XW_VERDICTS_H

#include <stdbool.h>
#include <stdint.h>

#include "attach.h"
#include "config.h"
#include "xdpwatch_shared.h"

struct xw_verdicts;

struct xw_verdicts_opts {
	const struct xw_cfg_kv *props; /* librdkafka properties */
	const char *topic;
	const char *trusted_keys; /* folder of <key id>.pub */
	const char *host_id;
	const struct xw_cfg_list *groups; /* this host's groups */
	uint64_t max_ttl_s;
	uint32_t budget; /* live verdict rules at most */
	int check_ms; /* how long to wait for the brokers at start */
};

struct xw_verdicts_stats {
	uint64_t received, applied, withdrawn, expired, not_targeted;
	uint64_t tombstones;
	uint64_t refused[XW_REFUSE_COUNT];
	uint32_t live;
	bool caught_up;
	double catch_up_s;
};

int xw_verdicts__new(struct xw_verdicts **v, const struct xw_verdicts_opts *o,
		     const struct xw_iface *ifaces, int n);
int xw_verdicts__fd(struct xw_verdicts *v);
bool xw_verdicts__poll(struct xw_verdicts *v);
const struct xw_verdicts_stats *xw_verdicts__stats(const struct xw_verdicts *v);
void xw_verdicts__free(struct xw_verdicts *v);

#endif /* XW_VERDICTS_H */
