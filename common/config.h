/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config.h - table-driven configuration over libconfig.
 *
 * A daemon describes each setting once, in a table of struct xw_opt rows
 * (name, type, where it lives in the daemon's struct, bounds, default,
 * help); defaults, file loading, command-line overrides, validation and
 * --help all come from that one table.
 *
 *   xw_config_defaults(opts, cfg)
 *   xw_config_load_file(opts, cfg, path, err, errlen)
 *       reads the file; an unknown setting, a wrong type or a value out of
 *       bounds is refused as "path:line: what was wrong". cfg may then be
 *       partly written: a caller that must keep its old settings loads
 *       into a copy
 *   xw_config_load_string(opts, cfg, text, name, err, errlen)
 *       the same from text in memory, errors as "name:line: ..."; an
 *       @include in it is refused (tests and the fuzzer)
 *   xw_config_set(opts, cfg, "key=value", err, errlen)   one override
 *
 * An XW_OPT_KV row named "kafka" takes every setting below it as a dotted
 * path: kafka = { bootstrap = { servers = "h:9092"; }; } and
 * --set kafka.bootstrap.servers=h:9092 both give "bootstrap.servers", so
 * librdkafka's own property names stay valid (libconfig names cannot hold
 * dots). The consumer of the pairs validates them.
 *   xw_config_help(opts, out)                            the table, printed
 */
#ifndef XW_CONFIG_H
#define XW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define XW_CFG_STR_MAX 256
#define XW_CFG_LIST_MAX 32
#define XW_CFG_ITEM_MAX 64

enum xw_opt_type {
	XW_OPT_INT, /* int64_t */
	XW_OPT_BOOL, /* bool */
	XW_OPT_STRING, /* char[XW_CFG_STR_MAX] */
	XW_OPT_ENUM, /* int: index into choices */
	XW_OPT_LIST, /* struct xw_cfg_list of strings */
	XW_OPT_KV, /* struct xw_cfg_kv: every setting below the name, by its
		    * dotted path, passed through (librdkafka properties) */
};

struct xw_cfg_list {
	unsigned int count;
	char item[XW_CFG_LIST_MAX][XW_CFG_ITEM_MAX];
};

#define XW_CFG_KV_MAX 64
#define XW_CFG_KEY_MAX 96

struct xw_cfg_kv {
	unsigned int count;
	char key[XW_CFG_KV_MAX][XW_CFG_KEY_MAX];
	char value[XW_CFG_KV_MAX][XW_CFG_STR_MAX];
	unsigned int line[XW_CFG_KV_MAX]; /* in the file; 0 from the command line */
};

/* Value of key in kv, or NULL. */
const char *xw_cfg_kv_get(const struct xw_cfg_kv *kv, const char *key);

struct xw_opt {
	const char *name; /* libconfig path: "sample_rate", "output.path" */
	enum xw_opt_type type;
	size_t offset; /* in the daemon's config struct */
	int64_t min, max; /* XW_OPT_INT bounds */
	const char *def; /* default, as it would be typed on the command line */
	const char *const *choices; /* XW_OPT_ENUM, NULL-terminated */
	const char *help;
};

#define XW_OPT_END { .name = NULL }

int xw_config_defaults(const struct xw_opt *opts, void *cfg);
int xw_config_load_file(const struct xw_opt *opts, void *cfg, const char *path,
			char *err, size_t errlen);
int xw_config_load_string(const struct xw_opt *opts, void *cfg,
			  const char *text, const char *name, char *err,
			  size_t errlen);
int xw_config_set(const struct xw_opt *opts, void *cfg, const char *assignment,
		  char *err, size_t errlen);
void xw_config_help(const struct xw_opt *opts, FILE *out);

#endif /* XW_CONFIG_H */
