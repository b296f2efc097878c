// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * verdict_cmd.c - `xdpwatch keygen` and `xdpwatch verdict add|withdraw|list`:
 * what SOC tooling does on the verdict topic, signing with a private key
 * file and reading back with trusted public keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "kafka.h"
#include "log.h"
#include "names.h"
#include "verdict.h"
#include "verdict_cmd.h"

#define ENVELOPE_SCHEMA_NAME "xdpwatch.v1.SignedEnvelope"

int xw_cmd_keygen(const char *dir, const char *key_id)
{
	char err[512];
	int ret = xw_keygen(dir, key_id, err, sizeof(err));

	if (ret) {
		pr_err("keygen: %s", err);
		return ret;
	}
	printf("wrote %s/%s.key (secret: keep it with who publishes verdicts)\n"
	       "wrote %s/%s.pub (copy it into every collector's trusted-keys folder)\n",
	       dir, key_id, dir, key_id);
	return 0;
}

/* Produce one envelope and wait until the broker has it. */
static int publish(const struct xw_verdict_cmd *c, const struct xw_verdict_msg *m)
{
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", ENVELOPE_SCHEMA_NAME },
		{ "schema_version", "1" },
	};
	struct xw_signing_key key;
	struct xw_producer *p = NULL;
	uint8_t *buf = NULL;
	size_t len;
	char err[512];
	int ret;

	ret = xw_signing_key_load(c->key_path, &key, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	ret = xw_envelope_seal(m, c->topic, &key, &buf, &len);
	memset(&key, 0, sizeof(key));
	if (ret) {
		pr_err("cannot seal the verdict: %s", strerror(-ret));
		return ret;
	}
	ret = xw_producer__new(&p, c->props, c->topic, err, sizeof(err));
	if (!ret)
		ret = xw_producer__check(p, 10000, err, sizeof(err));
	if (ret) {
		pr_err("kafka: %s", err);
		goto out;
	}
	ret = xw_producer__produce(p, m->rule_id, strlen(m->rule_id), buf, len, 1,
				   hdrs, 2);
	if (!ret)
		ret = xw_producer__flush(p, 15000);
	if (!ret && xw_producer__stats(p)->msgs_delivered != 1)
		ret = -EIO;
	if (ret)
		pr_err("the broker did not confirm the %s of rule %s",
		       m->kind == XW_VERDICT_KIND_VERDICT ? "verdict" : "withdrawal",
		       m->rule_id);
out:
	xw_producer__destroy(p);
	free(buf);
	return ret;
}

static void random_rule_id(char *buf, size_t len)
{
	uint8_t rnd[6];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(buf, len, "soc-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5]);
}

int xw_cmd_verdict_add(const struct xw_verdict_cmd *c)
{
	struct xw_verdict_limits limits = { .max_ttl_s = c->max_ttl_s,
					    .max_future_s = 60 };
	struct xw_verdict_msg m = { .kind = XW_VERDICT_KIND_VERDICT };
	char why[256], buf[XW_PREFIX_STRLEN];
	int ret;

	m.v = c->v;
	if (c->rule_id)
		snprintf(m.rule_id, sizeof(m.rule_id), "%s", c->rule_id);
	else
		random_rule_id(m.rule_id, sizeof(m.rule_id));
	if (!xw_rule_id_valid(m.rule_id)) {
		pr_err("rule id '%s': use 1 to 63 of [A-Za-z0-9._:-]", m.rule_id);
		return -EINVAL;
	}
	/* Time as version: it only grows, whoever publishes, clocks allowing. */
	m.created_unix_ns = xw_unix_ns();
	m.version = m.created_unix_ns;
	snprintf(m.issuer, sizeof(m.issuer), "%s", c->issuer);
	snprintf(m.reason, sizeof(m.reason), "%s", c->reason);
	/* Refuse here what every collector would refuse anyway. */
	if (xw_verdict_check(&m, &limits, m.created_unix_ns, why, sizeof(why))) {
		pr_err("verdict refused before publishing: %s", why);
		return -EINVAL;
	}
	ret = publish(c, &m);
	if (!ret)
		printf("rule %s version %llu: %s %s for %us published on %s\n",
		       m.rule_id, (unsigned long long)m.version,
		       m.v.action == XW_VERDICT_MONITOR ? "monitor" :
		       m.v.action == XW_VERDICT_RATE_LIMIT ? "rate-limit" : "drop",
		       xw_prefix_format(&m.v.src, buf, sizeof(buf)), m.v.ttl_s,
		       c->topic);
	return ret;
}

int xw_cmd_verdict_withdraw(const struct xw_verdict_cmd *c)
{
	struct xw_verdict_msg m = { .kind = XW_VERDICT_KIND_WITHDRAW };
	int ret;

	if (!c->rule_id || !xw_rule_id_valid(c->rule_id)) {
		pr_err("verdict withdraw needs the rule id to withdraw");
		return -EINVAL;
	}
	snprintf(m.rule_id, sizeof(m.rule_id), "%s", c->rule_id);
	m.created_unix_ns = xw_unix_ns();
	m.version = m.created_unix_ns;
	snprintf(m.issuer, sizeof(m.issuer), "%s", c->issuer);
	snprintf(m.reason, sizeof(m.reason), "%s", c->reason);
	ret = publish(c, &m);
	if (!ret)
		printf("rule %s withdrawn (version %llu) on %s\n", m.rule_id,
		       (unsigned long long)m.version, c->topic);
	return ret;
}

struct latest {
	struct xw_verdict_msg m;
	enum xw_refusal refused;
	char why[160];
};

/* "tcp dport 80 flags syn,ack/syn " as rule list says it; "" for any. */
static void l4_describe(const struct xw_verdict *v, char *buf, size_t len)
{
	char flags[XW_TCP_FLAGS_STRLEN] = "";

	*buf = '\0';
	if (!v->l4_proto)
		return;
	if (v->tcp_flags_mask)
		xw_tcp_flags_format(v->tcp_flags_mask, v->tcp_flags_value, flags,
				    sizeof(flags));
	snprintf(buf, len, "%s%s%.0u%s%.0u%s%s ",
		 xw_ipproto_name(v->l4_proto) ?: "l4", v->sport ? " sport " : "",
		 v->sport, v->dport ? " dport " : "", v->dport,
		 *flags ? " flags " : "", flags);
}

/* The topic from the beginning, newest state per rule, verified. */
int xw_cmd_verdict_list(const struct xw_verdict_cmd *c)
{
	static struct latest rules[4096];
	struct xw_keyring ring;
	struct xw_consumer *cons;
	struct xw_kafka_msg km;
	char err[512], src[XW_PREFIX_STRLEN], dst[XW_PREFIX_STRLEN], l4[128];
	size_t n = 0;
	int ret, idle = 0;

	ret = xw_keyring_load(c->trusted_keys, &ring, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	ret = xw_consumer__new(&cons, c->props, c->topic, true, err, sizeof(err));
	if (ret) {
		pr_err("kafka: %s", err);
		return ret;
	}
	while (idle < c->idle_ms) {
		struct xw_verdict_msg m;
		char why[160];
		enum xw_refusal r;
		size_t i;

		ret = xw_consumer__next(cons, 200, &km);
		if (ret <= 0) {
			if (ret < 0)
				break;
			idle += 200;
			continue;
		}
		idle = 0;
		ret = 0;
		if (!km.value)
			continue; /* a tombstone removes nothing by itself */
		r = xw_envelope_open(km.value, km.len, km.key, km.keylen, c->topic,
				     &ring, &m, why, sizeof(why));
		for (i = 0; i < n; i++)
			if (!strcmp(rules[i].m.rule_id, m.rule_id))
				break;
		if (r && !*m.rule_id) {
			printf("offset %lld: refused (%s): %s\n", (long long)km.offset,
			       xw_refusal_name(r), why);
			continue;
		}
		if (i == n) {
			if (n == sizeof(rules) / sizeof(rules[0]))
				continue;
			n++;
		} else if (!r && m.version <= rules[i].m.version) {
			continue; /* an older version, replayed */
		}
		rules[i].m = m;
		rules[i].refused = r;
		snprintf(rules[i].why, sizeof(rules[i].why), "%s", r ? why : "");
	}
	xw_consumer__destroy(cons);
	for (size_t i = 0; i < n; i++) {
		const struct latest *l = &rules[i];
		uint64_t now = xw_unix_ns();
		int64_t left;

		if (l->refused) {
			printf("%-24s refused (%s): %s\n", l->m.rule_id,
			       xw_refusal_name(l->refused), l->why);
			continue;
		}
		if (l->m.kind == XW_VERDICT_KIND_WITHDRAW) {
			printf("%-24s withdrawn by %s\n", l->m.rule_id, l->m.issuer);
			continue;
		}
		left = (int64_t)((l->m.created_unix_ns +
				  (uint64_t)l->m.v.ttl_s * 1000000000ULL - now) /
				 1000000000LL);
		l4_describe(&l->m.v, l4, sizeof(l4));
		printf("%-24s %-10s %-43s %s%s%s%s ttl %us (%s) by %s: %s\n",
		       l->m.rule_id,
		       l->m.v.action == XW_VERDICT_MONITOR ? "monitor" :
		       l->m.v.action == XW_VERDICT_RATE_LIMIT ? "rate-limit" : "drop",
		       xw_prefix_format(&l->m.v.src, src, sizeof(src)),
		       l->m.v.dst.family ? "to " : "",
		       l->m.v.dst.family ? xw_prefix_format(&l->m.v.dst, dst, sizeof(dst)) : "",
		       l->m.v.dst.family ? " " : "", l4, l->m.v.ttl_s,
		       left > 0 ? "live" : "expired", l->m.issuer, l->m.reason);
	}
	return ret;
}
