/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * verdict_cmd.h - the CLI's key and verdict commands. Each returns 0 or a
 * negative errno after logging why.
 */
#ifndef XW_VERDICT_CMD_H
#define XW_VERDICT_CMD_H

#include "config.h"
#include "verdict.h"

struct xw_verdict_cmd {
	const struct xw_cfg_kv *props; /* librdkafka properties */
	const char *topic;
	const char *key_path; /* <key id>.key, for add and withdraw */
	const char *trusted_keys; /* folder of <key id>.pub, for list */
	const char *rule_id; /* NULL: a new random one (add) */
	const char *issuer;
	const char *reason;
	uint64_t max_ttl_s;
	int idle_ms; /* list: stop after this long without a message */
	struct xw_verdict v;
};

int xw_cmd_keygen(const char *dir, const char *key_id);
int xw_cmd_verdict_add(const struct xw_verdict_cmd *c);
int xw_cmd_verdict_withdraw(const struct xw_verdict_cmd *c);
int xw_cmd_verdict_list(const struct xw_verdict_cmd *c);

#endif /* XW_VERDICT_CMD_H */
