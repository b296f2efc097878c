/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * pinned.h - where an interface's maps are pinned and how to open them.
 *
 * Layout: <root>/<ifname>/<map name> for every map in bpf/maps.h, plus
 * <root>/<ifname>/link, the XDP link, pinned so that a killed collector
 * leaves enforcement running until it (or an operator) comes back.
 *
 *   xw_bpffs_ensure(root)             mount bpffs if needed, mkdir root
 *   xw_pin_path(root, ifname, name, buf, len)
 *   xw_maps__open(&m, root, ifname)   open every pinned map; -ENOENT when
 *                                     no collector ever ran there,
 *                                     XW_ERR_LAYOUT when a map's value
 *                                     size is not this build's (pinned by
 *                                     another XW_ABI_VERSION)
 *   xw_maps__close(&m)
 *   xw_ifaces__list(root, cb, ctx)    each interface with pins
 *   xw_percpu_counter_sum(fd, key, &c), xw_percpu_u64_sum(fd, key, &v)
 *   xw_config__write(fd, sample_rate, wakeup_bytes)
 */
#ifndef XW_PINNED_H
#define XW_PINNED_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "xdpwatch_shared.h"

#define XW_PIN_ROOT_DEFAULT "/sys/fs/bpf/xdpwatch"
#define XW_LINK_PIN_NAME "link"

/* xw_maps__open(): the pins have another layout (see XW_ABI_VERSION). */
#define XW_ERR_LAYOUT (-EPROTO)

struct xw_maps {
	int config;
	int traffic;
	int events;
	int deny_v4; /* prefixes shorter than one address (LPM tries) */
	int deny_v6;
	int deny_host_v4; /* one-address rules (exact-match hashes) */
	int deny_host_v6;
	int deny_host_on; /* by enum xw_ipver: set before the first host rule */
	int allow_v4;
	int allow_v6;
	int rule_stats;
	int verdict_ids; /* rule id -> struct xw_verdict_slot */
	int deny_dst_v4; /* destination-keyed rules (struct xw_dst_rules) */
	int deny_dst_v6;
	int deny_dst_on; /* by enum xw_ipver: set before the first dst rule */
	int rate; /* token buckets of rate-limit rules, by rule id */
};

/* Pin file name of each map above, in the order of struct xw_maps. */
extern const char *const xw_map_pin_names[];
extern const size_t xw_map_pin_count;

int xw_bpffs_ensure(const char *root);
int xw_pin_path(const char *root, const char *ifname, const char *name,
		char *buf, size_t len);
int xw_maps__open(struct xw_maps *m, const char *root, const char *ifname);
void xw_maps__close(struct xw_maps *m);

typedef int (*xw_iface_cb)(const char *ifname, void *ctx);
int xw_ifaces__list(const char *root, xw_iface_cb cb, void *ctx);

int xw_ncpus(void);
int xw_percpu_counter_sum(int fd, uint32_t key, struct xw_counter *sum);
int xw_percpu_u64_sum(int fd, uint32_t key, uint64_t *sum);
int xw_config__write(int fd, uint32_t sample_rate, uint32_t wakeup_bytes);
int xw_config__read(int fd, struct xw_config *cfg);

#endif /* XW_PINNED_H */
