/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * verdict.h - signed verdicts and withdrawals: build and seal them, open
 * and check what arrives. Everything that arrives is hostile until this
 * module says otherwise; every refusal has an enum xw_refusal reason and a
 * sentence.
 *
 *   xw_envelope_seal(msg, topic, key, &buf, &len)
 *       serialize the body, sign it bound to topic, rule id, version and
 *       kind, wrap it in a SignedEnvelope; caller frees buf
 *   xw_envelope_open(buf, len, kafka_key, keylen, topic, ring, &msg, why, n)
 *       decode, check the signature with a trusted key, check that the
 *       envelope, the body and the Kafka key agree and the topic is ours;
 *       returns XW_REFUSE_NONE or the reason
 *   xw_verdict_check(v, limits, now, why, n)
 *       the content rules: TTL present and within the maximum, not yet
 *       expired, not from the future, sane prefixes/ports, TCP flags only
 *       on TCP and inside their mask, never a drop of everything
 *   xw_verdict_targets(v, host_id, groups)   is this host meant
 *   xw_rule_id_valid(id)                     [A-Za-z0-9._:-]{1,63}
 */
#ifndef XW_VERDICT_H
#define XW_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sign.h"
#include "textparse.h"
#include "xdpwatch_shared.h"

#define XW_RULE_ID_MAX 64
#define XW_ISSUER_MAX 64
#define XW_REASON_MAX 256
#define XW_TARGETS_MAX 32
#define XW_TARGET_MAX 64
#define XW_VERDICT_TOPIC_DEFAULT "xdpwatch.verdicts.v1"

enum xw_verdict_action {
	XW_VERDICT_DROP = 0,
	XW_VERDICT_MONITOR = 1,
	XW_VERDICT_RATE_LIMIT = 2,
};

enum xw_verdict_kind {
	XW_VERDICT_KIND_VERDICT = 1,
	XW_VERDICT_KIND_WITHDRAW = 2,
};

struct xw_verdict {
	struct xw_prefix src;
	struct xw_prefix dst; /* family 0: any destination */
	uint8_t l4_proto;
	uint16_t sport, dport;
	uint8_t tcp_flags_mask, tcp_flags_value; /* mask 0: any; TCP only */
	uint8_t action; /* enum xw_verdict_action */
	uint64_t rate_pps;
	uint32_t ttl_s;
	bool all_hosts;
	unsigned int nhosts, ngroups;
	char hosts[XW_TARGETS_MAX][XW_TARGET_MAX];
	char groups[XW_TARGETS_MAX][XW_TARGET_MAX];
};

/* One message on the verdict topic, opened. */
struct xw_verdict_msg {
	enum xw_verdict_kind kind;
	char rule_id[XW_RULE_ID_MAX];
	uint64_t version;
	char key_id[XW_KEY_ID_MAX];
	char issuer[XW_ISSUER_MAX];
	char reason[XW_REASON_MAX];
	uint64_t created_unix_ns;
	struct xw_verdict v; /* XW_VERDICT_KIND_VERDICT only */
};

struct xw_verdict_limits {
	uint64_t max_ttl_s;
	uint64_t max_future_s; /* clock skew tolerated on created_unix_ns */
};

bool xw_rule_id_valid(const char *id);
int xw_envelope_seal(const struct xw_verdict_msg *m, const char *topic,
		     const struct xw_signing_key *key, uint8_t **buf,
		     size_t *len);
enum xw_refusal xw_envelope_open(const void *buf, size_t len,
				 const void *kafka_key, size_t keylen,
				 const char *topic,
				 const struct xw_keyring *ring,
				 struct xw_verdict_msg *m, char *why,
				 size_t whylen);
enum xw_refusal xw_verdict_check(const struct xw_verdict_msg *m,
				 const struct xw_verdict_limits *l,
				 uint64_t now_unix_ns, char *why,
				 size_t whylen);
bool xw_verdict_targets(const struct xw_verdict *v, const char *host_id,
			const struct xw_cfg_list *groups);
uint64_t xw_unix_ns(void);

#endif /* XW_VERDICT_H */
