/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dconfig.h - the detector's settings: one option table (defaults, the
 * libconfig file, --set overrides, --help), then the thresholds groups
 * compiled from them.
 *
 *   xw_dconfig_defaults(cfg)
 *   xw_dconfig_load(cfg, path, err, errlen)    the file over the defaults
 *   xw_dconfig_load_string(cfg, text, name, err, errlen)
 *       the same from text in memory, errors as "name:line: " (the
 *       config fuzzer, fuzz/fuzz_dconfig.c)
 *   xw_dconfig_set(cfg, "key=value", err, errlen)
 *   xw_dconfig_finish(cfg, err, errlen)
 *       checks what one row cannot (a group named twice, a prefix given
 *       to an unknown group, an allowlist entry that is not a prefix) and
 *       builds cfg->groups; "path:line: what" for the file's settings
 *   xw_dconfig_group_of(cfg, key)   the group of a destination (0 default)
 *   xw_dconfig_help(out)
 */
#ifndef XW_DCONFIG_H
#define XW_DCONFIG_H

#include <stdio.h>

#include "config.h"
#include "model.h"
#include "textparse.h"

#define XW_GROUPS_MAX 32

enum xw_target_mode { XW_TARGET_SEEN, XW_TARGET_ALL };

struct xw_dconfig {
	char detector_id[XW_CFG_STR_MAX];
	struct xw_cfg_kv kafka;
	char features_topic[XW_CFG_STR_MAX];
	char verdicts_topic[XW_CFG_STR_MAX];
	char alerts_topic[XW_CFG_STR_MAX];
	char group_id[XW_CFG_STR_MAX];
	int64_t kafka_check_ms;
	char signing_key[XW_CFG_STR_MAX];
	char alerts_json[XW_CFG_STR_MAX];
	int log_level;
	int64_t stats_interval_s;
	char metrics_listen[XW_CFG_STR_MAX];
	int64_t metrics_interval_ms;
	/* detection */
	int64_t start_slots, end_hold_ms, end_ratio_pct, update_ms;
	int64_t threshold[XW_ATTACK_COUNT]; /* packets/s, the default group */
	int64_t udp_flood_bps;
	bool learn;
	int64_t learn_k_tenths, learn_factor_pct, learn_alpha_permille,
		learn_warm_s;
	int64_t spoof_sources, spoof_top_share_pct;
	int64_t carpet_prefix_v4, carpet_prefix_v6, carpet_min_destinations,
		carpet_top_share_pct;
	struct xw_cfg_kv groups; /* groups.<name>.<class> = pps */
	struct xw_cfg_list group_prefixes; /* "prefix=name" */
	/* verdicts */
	int64_t verdict_ttl_s, renew_s, max_live_rules;
	int target;
	int64_t max_sources, hh_share_pct, hh_min_share_pct, port_share_pct,
		rate_limit_pct;
	struct xw_cfg_list allowlist;
	/* memory */
	int64_t max_destinations, max_heavy, watch_pps, idle_s, max_hosts;

	/* built by xw_dconfig_finish */
	const char *path;
	unsigned int ngroups;
	char group_name[XW_GROUPS_MAX][XW_CFG_ITEM_MAX];
	struct xw_thresholds groups_th[XW_GROUPS_MAX];
	unsigned int nprefixes;
	struct xw_prefix prefix[XW_CFG_LIST_MAX];
	uint16_t prefix_group[XW_CFG_LIST_MAX];
	unsigned int nallow;
	struct xw_prefix allow[XW_CFG_LIST_MAX];
};

void xw_dconfig_defaults(struct xw_dconfig *c);
int xw_dconfig_load(struct xw_dconfig *c, const char *path, char *err,
		    size_t errlen);
int xw_dconfig_load_string(struct xw_dconfig *c, const char *text,
			   const char *name, char *err, size_t errlen);
int xw_dconfig_set(struct xw_dconfig *c, const char *kv, char *err,
		   size_t errlen);
int xw_dconfig_finish(struct xw_dconfig *c, char *err, size_t errlen);
uint16_t xw_dconfig_group_of(const struct xw_dconfig *c,
			     const struct xw_dkey *k);
void xw_dconfig_help(FILE *out);

#endif /* XW_DCONFIG_H */
