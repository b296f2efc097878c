// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* verdict.c - see verdict.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "verdict.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

#define SIGN_DOMAIN "xdpwatch-verdict-v1"
#define ENVELOPE_SCHEMA 1

uint64_t xw_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool xw_rule_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < XW_RULE_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

/*
 * Printable, bounded text from a peer: valid UTF-8 (reasons may name
 * people) without control bytes, so nothing a peer sends can break a log
 * line or a JSON consumer downstream.
 */
static bool text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	if (n == max)
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, past U+10FFFF, C1 controls. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp > 0x10ffff || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += len;
	}
	return true;
}

static size_t put_bytes(uint8_t *out, const void *p, size_t n)
{
	uint32_t be = htonl((uint32_t)n);

	memcpy(out, &be, 4);
	/* An empty protobuf bytes field arrives as NULL, 0: memcpy must not
	 * see that NULL, even for no bytes (UBSan, found by fuzz_verdict). */
	if (n)
		memcpy(out + 4, p, n);
	return 4 + n;
}

/* The exact bytes the signature covers (see verdicts.proto). */
static uint8_t *signing_input(uint8_t kind, const char *topic,
			      const char *rule_id, uint64_t version,
			      const uint8_t *body, size_t blen, size_t *len)
{
	size_t n = sizeof(SIGN_DOMAIN) + 1 + 4 + strlen(topic) + 4 +
		   strlen(rule_id) + 8 + 4 + blen;
	uint8_t *buf = malloc(n), *p = buf;

	if (!buf)
		return NULL;
	memcpy(p, SIGN_DOMAIN, sizeof(SIGN_DOMAIN)); /* with its NUL */
	p += sizeof(SIGN_DOMAIN);
	*p++ = kind;
	p += put_bytes(p, topic, strlen(topic));
	p += put_bytes(p, rule_id, strlen(rule_id));
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(version >> (8 * i));
	p += put_bytes(p, body, blen);
	*len = (size_t)(p - buf);
	return buf;
}

static void prefix_to_pb(const struct xw_prefix *p, Xdpwatch__V1__Prefix *pb)
{
	xdpwatch__v1__prefix__init(pb);
	pb->addr.data = (uint8_t *)p->addr;
	pb->addr.len = p->family == AF_INET ? 4 : p->family == AF_INET6 ? 16 : 0;
	pb->len = p->len;
}

/* A prefix off the wire: 4 or 16 bytes, a length that fits, no host bits. */
static bool prefix_from_pb(const Xdpwatch__V1__Prefix *pb, struct xw_prefix *p,
			   bool optional)
{
	memset(p, 0, sizeof(*p));
	if (!pb || (!pb->addr.len && !pb->len))
		return optional;
	if (pb->addr.len != 4 && pb->addr.len != 16)
		return false;
	p->family = pb->addr.len == 4 ? AF_INET : AF_INET6;
	if (pb->len > pb->addr.len * 8)
		return false;
	memcpy(p->addr, pb->addr.data, pb->addr.len);
	p->len = (uint8_t)pb->len;
	for (unsigned int bit = p->len; bit < pb->addr.len * 8; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static uint8_t *pack_body(const struct xw_verdict_msg *m, size_t *len)
{
	uint8_t *buf;

	if (m->kind == XW_VERDICT_KIND_WITHDRAW) {
		Xdpwatch__V1__Withdraw w = XDPWATCH__V1__WITHDRAW__INIT;

		w.rule_id = (char *)m->rule_id;
		w.version = m->version;
		w.issuer = (char *)m->issuer;
		w.reason = (char *)m->reason;
		w.created_unix_ns = m->created_unix_ns;
		*len = xdpwatch__v1__withdraw__get_packed_size(&w);
		buf = malloc(*len ? *len : 1);
		if (buf)
			xdpwatch__v1__withdraw__pack(&w, buf);
		return buf;
	} else {
		Xdpwatch__V1__Verdict v = XDPWATCH__V1__VERDICT__INIT;
		Xdpwatch__V1__Prefix src, dst;
		char *hosts[XW_TARGETS_MAX], *groups[XW_TARGETS_MAX];

		v.rule_id = (char *)m->rule_id;
		v.version = m->version;
		prefix_to_pb(&m->v.src, &src);
		v.src = &src;
		if (m->v.dst.family) {
			prefix_to_pb(&m->v.dst, &dst);
			v.dst = &dst;
		}
		v.l4_proto = m->v.l4_proto;
		v.sport = m->v.sport;
		v.dport = m->v.dport;
		v.tcp_flags_mask = m->v.tcp_flags_mask;
		v.tcp_flags_value = m->v.tcp_flags_value;
		v.action = (Xdpwatch__V1__VerdictAction)m->v.action;
		v.rate_pps = m->v.rate_pps;
		v.ttl_s = m->v.ttl_s;
		v.issuer = (char *)m->issuer;
		v.reason = (char *)m->reason;
		v.created_unix_ns = m->created_unix_ns;
		v.all_hosts = m->v.all_hosts;
		for (unsigned int i = 0; i < m->v.nhosts; i++)
			hosts[i] = (char *)m->v.hosts[i];
		for (unsigned int i = 0; i < m->v.ngroups; i++)
			groups[i] = (char *)m->v.groups[i];
		v.n_hosts = m->v.nhosts;
		v.hosts = hosts;
		v.n_groups = m->v.ngroups;
		v.groups = groups;
		*len = xdpwatch__v1__verdict__get_packed_size(&v);
		buf = malloc(*len ? *len : 1);
		if (buf)
			xdpwatch__v1__verdict__pack(&v, buf);
		return buf;
	}
}

int xw_envelope_seal(const struct xw_verdict_msg *m, const char *topic,
		     const struct xw_signing_key *key, uint8_t **out,
		     size_t *outlen)
{
	Xdpwatch__V1__SignedEnvelope env;
	uint8_t sig[XW_SIG_BYTES], *body, *input;
	size_t blen, ilen;

	/* The _INIT macro of a message with a oneof trips -Wmissing-braces. */
	xdpwatch__v1__signed_envelope__init(&env);
	if (!xw_rule_id_valid(m->rule_id))
		return -EINVAL;
	body = pack_body(m, &blen);
	if (!body)
		return -ENOMEM;
	input = signing_input((uint8_t)m->kind, topic, m->rule_id, m->version,
			      body, blen, &ilen);
	if (!input) {
		free(body);
		return -ENOMEM;
	}
	xw_sign(key, input, ilen, sig);
	free(input);

	env.schema_version = ENVELOPE_SCHEMA;
	env.topic = (char *)topic;
	env.rule_id = (char *)m->rule_id;
	env.version = m->version;
	env.key_id = (char *)key->key_id;
	if (m->kind == XW_VERDICT_KIND_WITHDRAW) {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW;
		env.withdraw.data = body;
		env.withdraw.len = blen;
	} else {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_VERDICT;
		env.verdict.data = body;
		env.verdict.len = blen;
	}
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	*outlen = xdpwatch__v1__signed_envelope__get_packed_size(&env);
	*out = malloc(*outlen);
	if (*out)
		xdpwatch__v1__signed_envelope__pack(&env, *out);
	free(body);
	return *out ? 0 : -ENOMEM;
}

/*
 * What a Verdict and a Withdraw body both carry: it must name the rule and
 * version its envelope names, in printable text of bounded length.
 */
static enum xw_refusal body_common(const char *rule_id, uint64_t version,
				   const char *issuer, const char *reason,
				   uint64_t created, const char *what,
				   struct xw_verdict_msg *m, char *why,
				   size_t whylen)
{
	if (!text_ok(rule_id, XW_RULE_ID_MAX) || !text_ok(issuer, XW_ISSUER_MAX) ||
	    !text_ok(reason, XW_REASON_MAX))
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
			      "rule id, issuer or reason too long or not printable");
	if (strcmp(rule_id, m->rule_id) || version != m->version)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MISMATCH,
			      "the %s names rule %.64s version %llu, its envelope another",
			      what, rule_id, (unsigned long long)version);
	strcpy(m->issuer, issuer);
	strcpy(m->reason, reason);
	m->created_unix_ns = created;
	return XW_REFUSE_NONE;
}

static enum xw_refusal verdict_from_pb(const Xdpwatch__V1__Verdict *pb,
				       struct xw_verdict_msg *m, char *why,
				       size_t whylen)
{
	struct xw_verdict *v = &m->v;
	enum xw_refusal r;

	r = body_common(pb->rule_id, pb->version, pb->issuer, pb->reason,
			pb->created_unix_ns, "verdict", m, why, whylen);
	if (r)
		return r;
	if (!prefix_from_pb(pb->src, &v->src, false))
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "source prefix missing, of a bad length or with host bits set");
	if (!prefix_from_pb(pb->dst, &v->dst, true))
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "destination prefix of a bad length or with host bits set");
	if (v->dst.family && v->dst.family != v->src.family)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "source and destination prefixes of different families");
	if (pb->l4_proto > 255 || pb->sport > 65535 || pb->dport > 65535)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "protocol or port out of range");
	if (pb->tcp_flags_mask > 0xff || pb->tcp_flags_value > 0xff)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "TCP flags mask 0x%x or value 0x%x over 0xff",
			      pb->tcp_flags_mask, pb->tcp_flags_value);
	if (pb->action > XDPWATCH__V1__VERDICT_ACTION__VERDICT_RATE_LIMIT)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED, "unknown action %d",
			      pb->action);
	if (pb->n_hosts > XW_TARGETS_MAX || pb->n_groups > XW_TARGETS_MAX)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
			      "more than %d target hosts or groups", XW_TARGETS_MAX);
	for (size_t i = 0; i < pb->n_hosts; i++) {
		if (!text_ok(pb->hosts[i], XW_TARGET_MAX))
			return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED, "bad target host");
		strcpy(v->hosts[i], pb->hosts[i]);
	}
	for (size_t i = 0; i < pb->n_groups; i++) {
		if (!text_ok(pb->groups[i], XW_TARGET_MAX))
			return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED, "bad target group");
		strcpy(v->groups[i], pb->groups[i]);
	}
	v->nhosts = (unsigned int)pb->n_hosts;
	v->ngroups = (unsigned int)pb->n_groups;
	v->l4_proto = (uint8_t)pb->l4_proto;
	v->sport = (uint16_t)pb->sport;
	v->dport = (uint16_t)pb->dport;
	v->tcp_flags_mask = (uint8_t)pb->tcp_flags_mask;
	v->tcp_flags_value = (uint8_t)pb->tcp_flags_value;
	v->action = (uint8_t)pb->action;
	v->rate_pps = pb->rate_pps;
	v->ttl_s = pb->ttl_s;
	v->all_hosts = pb->all_hosts;
	return XW_REFUSE_NONE;
}

static enum xw_refusal withdraw_from_pb(const Xdpwatch__V1__Withdraw *pb,
					struct xw_verdict_msg *m, char *why,
					size_t whylen)
{
	return body_common(pb->rule_id, pb->version, pb->issuer, pb->reason,
			   pb->created_unix_ns, "withdrawal", m, why, whylen);
}

enum xw_refusal xw_envelope_open(const void *buf, size_t len,
				 const void *kafka_key, size_t keylen,
				 const char *topic,
				 const struct xw_keyring *ring,
				 struct xw_verdict_msg *m, char *why,
				 size_t whylen)
{
	Xdpwatch__V1__SignedEnvelope *env;
	enum xw_refusal r = XW_REFUSE_NONE;
	const ProtobufCBinaryData *body;
	const uint8_t *pk;
	uint8_t *input;
	size_t ilen;

	memset(m, 0, sizeof(*m));
	env = xdpwatch__v1__signed_envelope__unpack(NULL, len, buf);
	if (!env)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
			      "%zu bytes that are not a SignedEnvelope", len);
	if (env->schema_version != ENVELOPE_SCHEMA) {
		r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_SCHEMA,
			   "envelope schema %u, this collector reads %d",
			   env->schema_version, ENVELOPE_SCHEMA);
		goto out;
	}
	if (!text_ok(env->rule_id, XW_RULE_ID_MAX) ||
	    !xw_rule_id_valid(env->rule_id) ||
	    !text_ok(env->key_id, XW_KEY_ID_MAX) ||
	    !text_ok(env->topic, 256) ||
	    env->signature.len != XW_SIG_BYTES ||
	    (env->body_case != XDPWATCH__V1__SIGNED_ENVELOPE__BODY_VERDICT &&
	     env->body_case != XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW)) {
		r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
			   "envelope without a valid rule id, key id, topic, body or 64-byte signature");
		goto out;
	}
	strcpy(m->rule_id, env->rule_id);
	strcpy(m->key_id, env->key_id);
	m->version = env->version;
	m->kind = env->body_case == XDPWATCH__V1__SIGNED_ENVELOPE__BODY_VERDICT ?
			  XW_VERDICT_KIND_VERDICT :
			  XW_VERDICT_KIND_WITHDRAW;
	if (keylen != strlen(env->rule_id) || memcmp(kafka_key, env->rule_id, keylen)) {
		r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MISMATCH,
			   "Kafka key differs from the envelope's rule id %s",
			   env->rule_id);
		goto out;
	}
	pk = xw_keyring_find(ring, env->key_id);
	if (!pk) {
		r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_UNKNOWN_KEY,
			   "signed with key %s, which is not trusted here", env->key_id);
		goto out;
	}
	body = m->kind == XW_VERDICT_KIND_VERDICT ? &env->verdict : &env->withdraw;
	/* Verify against the topic we read it from: a verdict signed for
	 * another topic fails here even if it says otherwise. */
	input = signing_input((uint8_t)m->kind, topic, env->rule_id, env->version,
			      body->data, body->len, &ilen);
	if (!input) {
		r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED, "out of memory");
		goto out;
	}
	if (!xw_verify(pk, input, ilen, env->signature.data)) {
		free(input);
		r = (enum xw_refusal)xw_err(why, whylen,
			   strcmp(env->topic, topic) ? XW_REFUSE_WRONG_TOPIC :
						       XW_REFUSE_BAD_SIGNATURE,
			   strcmp(env->topic, topic) ?
				   "signed for topic %s, read from another" :
				   "signature does not verify with key %s",
			   strcmp(env->topic, topic) ? env->topic : env->key_id);
		goto out;
	}
	free(input);

	if (m->kind == XW_VERDICT_KIND_VERDICT) {
		Xdpwatch__V1__Verdict *v =
			xdpwatch__v1__verdict__unpack(NULL, body->len, body->data);

		if (!v) {
			r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
				   "signed body is not a Verdict");
			goto out;
		}
		r = verdict_from_pb(v, m, why, whylen);
		xdpwatch__v1__verdict__free_unpacked(v, NULL);
	} else {
		Xdpwatch__V1__Withdraw *w =
			xdpwatch__v1__withdraw__unpack(NULL, body->len, body->data);

		if (!w) {
			r = (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_MALFORMED,
				   "signed body is not a Withdraw");
			goto out;
		}
		r = withdraw_from_pb(w, m, why, whylen);
		xdpwatch__v1__withdraw__free_unpacked(w, NULL);
	}
out:
	xdpwatch__v1__signed_envelope__free_unpacked(env, NULL);
	return r;
}

enum xw_refusal xw_verdict_check(const struct xw_verdict_msg *m,
				 const struct xw_verdict_limits *l,
				 uint64_t now, char *why, size_t whylen)
{
	const struct xw_verdict *v = &m->v;
	uint64_t expires;

	if (m->created_unix_ns > now + l->max_future_s * 1000000000ULL)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_FUTURE,
			      "created %llus in the future",
			      (unsigned long long)((m->created_unix_ns - now) / 1000000000ULL));
	if (m->kind == XW_VERDICT_KIND_WITHDRAW)
		return XW_REFUSE_NONE;
	if (!v->ttl_s || v->ttl_s > l->max_ttl_s)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_TTL,
			      "TTL %us: must be 1..%llus", v->ttl_s,
			      (unsigned long long)l->max_ttl_s);
	expires = m->created_unix_ns + (uint64_t)v->ttl_s * 1000000000ULL;
	if (expires <= now)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_EXPIRED,
			      "expired %llus ago",
			      (unsigned long long)((now - expires) / 1000000000ULL));
	if ((v->sport || v->dport) && v->l4_proto != 6 && v->l4_proto != 17)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "ports need protocol tcp or udp");
	if ((v->tcp_flags_mask || v->tcp_flags_value) && v->l4_proto != 6)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "TCP flags need protocol tcp (6), not %u", v->l4_proto);
	if (v->tcp_flags_value & ~v->tcp_flags_mask)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "TCP flag value 0x%02x names flags outside its mask 0x%02x: nothing would match",
			      v->tcp_flags_value, v->tcp_flags_mask);
	if (v->action == XW_VERDICT_RATE_LIMIT && !v->rate_pps)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "a rate limit of 0 packets/s is a drop; say drop");
	if (xw_prefix_is_all(&v->src) && !v->l4_proto)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_DROP_ALL,
			      "%s without a protocol would match everything",
			      v->src.family == AF_INET ? "0.0.0.0/0" : "::/0");
	if (!v->all_hosts && !v->nhosts && !v->ngroups)
		return (enum xw_refusal)xw_err(why, whylen, XW_REFUSE_BAD_MATCH,
			      "targets no host: set all_hosts, hosts or groups");
	return XW_REFUSE_NONE;
}

bool xw_verdict_targets(const struct xw_verdict *v, const char *host_id,
			const struct xw_cfg_list *groups)
{
	if (v->all_hosts)
		return true;
	for (unsigned int i = 0; i < v->nhosts; i++)
		if (!strcmp(v->hosts[i], host_id))
			return true;
	for (unsigned int i = 0; i < v->ngroups; i++)
		for (unsigned int g = 0; groups && g < groups->count; g++)
			if (!strcmp(v->groups[i], groups->item[g]))
				return true;
	return false;
}
