/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * options.h - the collector's settings: its config struct and the one
 * table (common/config.h) that defaults, the config file, --set, --help
 * and validation come from. Outside main.c so that tests and the config
 * fuzzer (fuzz/fuzz_config.c) load files through the real table.
 *
 *   xw_collector_opts[]     rows of struct xw_opt over struct xw_collector_cfg
 */
#ifndef XW_COLLECTOR_OPTIONS_H
#define XW_COLLECTOR_OPTIONS_H

#include <stdint.h>

#include "config.h"

struct xw_collector_cfg {
	struct xw_cfg_list interfaces;
	char netns[XW_CFG_STR_MAX];
	int xdp_mode;
	int attach_mode;
	int64_t libxdp_priority;
	int64_t sample_rate;
	int64_t ringbuf_kib;
	int64_t wakeup_records;
	int64_t poll_timeout_ms;
	int64_t stats_interval_s;
	char output[XW_CFG_STR_MAX];
	char pin_root[XW_CFG_STR_MAX];
	char lock_dir[XW_CFG_STR_MAX];
	int log_level;
	char host_id[XW_CFG_STR_MAX];
	struct xw_cfg_kv kafka;
	char kafka_topic[XW_CFG_STR_MAX];
	int64_t batch_max_records;
	int64_t batch_max_bytes;
	int64_t batch_linger_ms;
	int64_t counters_interval_ms;
	int64_t kafka_check_ms;
	char trusted_keys[XW_CFG_STR_MAX];
	char verdicts_topic[XW_CFG_STR_MAX];
	struct xw_cfg_list host_groups;
	int64_t verdict_max_ttl_s;
	int64_t rule_budget;
	char rulestats_topic[XW_CFG_STR_MAX];
	int64_t rulestats_interval_s;
	char metrics_listen[XW_CFG_STR_MAX];
	int64_t metrics_interval_ms;
	int64_t metrics_rule_series_max;
};

extern const struct xw_opt xw_collector_opts[];

#endif /* XW_COLLECTOR_OPTIONS_H */
