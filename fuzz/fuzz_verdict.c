// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_verdict.c - libFuzzer target for what arrives on the verdict topic:
 * xw_envelope_open(), then xw_verdict_check() and xw_verdict_targets() on
 * whatever it accepts.
 *
 * Input, first byte even ("raw"): byte 1 is the Kafka key's length, then
 * the key, then the message bytes, exactly as a consumer hands them over.
 * Nearly every mutation of a signed envelope breaks its signature, so the
 * fuzzer would never get past xw_verify() into the body checks; hence:
 *
 * First byte odd ("re-sign"): byte 1 picks Verdict (even) or Withdraw
 * (odd), byte 2 is the rule id's length, then the rule id (used as envelope
 * rule id and Kafka key), 8 bytes of version (big-endian), then the body.
 * The harness wraps the body in a SignedEnvelope signed with the fixed test
 * key (fuzz_keys.h), so every mutated body is validly signed and the
 * validation behind the signature is what gets fuzzed.
 *
 * Invariants checked beyond "no sanitizer report": a message that opens
 * carries a valid rule id and printable text; sealed again with the same
 * key it opens to the same message (what the collector applies is what
 * the CLI would have signed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_keys.h"
#include "verdict.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

#define SIGN_DOMAIN "xdpwatch-verdict-v1"

static struct xw_signing_key key;
static bool verbose; /* XW_FUZZ_VERBOSE=1: say why each input was refused */
static struct xw_keyring ring;
static const struct xw_verdict_limits limits = { .max_ttl_s = 86400,
						 .max_future_s = 60 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("XW_FUZZ_VERBOSE") != NULL;
	if (fuzz_keys_init(&key, &ring)) {
		fprintf(stderr, "fuzz_verdict: libsodium failed to initialise\n");
		abort();
	}
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/*
 * The signing input as verdicts.proto defines it, rebuilt here rather than
 * borrowed from verdict.c (where it is static): a harness that shared the
 * code under test would agree with any bug in it.
 */
static uint8_t *signing_input(uint8_t kind, const char *topic,
			      const char *rule_id, uint64_t version,
			      const uint8_t *body, size_t blen, size_t *len)
{
	size_t tl = strlen(topic), rl = strlen(rule_id);
	uint8_t *buf = malloc(sizeof(SIGN_DOMAIN) + 1 + 4 + tl + 4 + rl + 8 +
			      4 + blen + 1);
	uint8_t *p = buf;

	if (!buf)
		abort();
	memcpy(p, SIGN_DOMAIN, sizeof(SIGN_DOMAIN));
	p += sizeof(SIGN_DOMAIN);
	*p++ = kind;
	put_be32(p, (uint32_t)tl);
	memcpy(p + 4, topic, tl);
	p += 4 + tl;
	put_be32(p, (uint32_t)rl);
	memcpy(p + 4, rule_id, rl);
	p += 4 + rl;
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(version >> (8 * i));
	put_be32(p, (uint32_t)blen);
	if (blen)
		memcpy(p + 4, body, blen);
	p += 4 + blen;
	*len = (size_t)(p - buf);
	return buf;
}

/* Wrap body in an envelope signed with the test key; caller frees. */
static uint8_t *wrap(bool withdraw, const char *rule_id, uint64_t version,
		     const uint8_t *body, size_t blen, size_t *len)
{
	Xdpwatch__V1__SignedEnvelope env;
	uint8_t sig[XW_SIG_BYTES], *input, *out;
	size_t ilen;

	xdpwatch__v1__signed_envelope__init(&env);
	input = signing_input(withdraw ? XW_VERDICT_KIND_WITHDRAW :
					 XW_VERDICT_KIND_VERDICT,
			      FUZZ_TOPIC, rule_id, version, body, blen, &ilen);
	xw_sign(&key, input, ilen, sig);
	free(input);
	env.schema_version = 1;
	env.topic = (char *)FUZZ_TOPIC;
	env.rule_id = (char *)rule_id;
	env.version = version;
	env.key_id = (char *)FUZZ_KEY_ID;
	if (withdraw) {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW;
		env.withdraw.data = (uint8_t *)body;
		env.withdraw.len = blen;
	} else {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_VERDICT;
		env.verdict.data = (uint8_t *)body;
		env.verdict.len = blen;
	}
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	*len = xdpwatch__v1__signed_envelope__get_packed_size(&env);
	out = malloc(*len ? *len : 1);
	if (!out)
		abort();
	xdpwatch__v1__signed_envelope__pack(&env, out);
	return out;
}

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_verdict: %s:%d: %s\n",        \
				__FILE__, __LINE__, #cond);                  \
			abort();                                            \
		}                                                           \
	} while (0)

/* Sealing what opened must give back the same message. */
static void reseal(const struct xw_verdict_msg *m)
{
	struct xw_verdict_msg again;
	char why[256];
	uint8_t *buf;
	size_t len;

	CHECK(xw_envelope_seal(m, FUZZ_TOPIC, &key, &buf, &len) == 0);
	if (xw_envelope_open(buf, len, m->rule_id, strlen(m->rule_id),
			     FUZZ_TOPIC, &ring, &again, why, sizeof(why))) {
		fprintf(stderr, "fuzz_verdict: resealed message refused: %s\n",
			why);
		abort();
	}
	free(buf);
	CHECK(!memcmp(m, &again, sizeof(again)));
}

static void open_and_check(const uint8_t *msg, size_t len, const void *k,
			   size_t klen)
{
	struct xw_cfg_list groups = { .count = 1, .item = { "edge" } };
	struct xw_verdict_msg m;
	char why[256] = "";
	enum xw_refusal r;

	r = xw_envelope_open(msg, len, k, klen, FUZZ_TOPIC, &ring, &m, why,
			     sizeof(why));
	CHECK(r < XW_REFUSE_COUNT);
	if (verbose)
		fprintf(stderr, "fuzz_verdict: open: %d %s\n", r, why);
	if (r) {
		CHECK(why[0]); /* every refusal says why */
		return;
	}
	CHECK(xw_rule_id_valid(m.rule_id));
	CHECK(klen == strlen(m.rule_id) && !memcmp(k, m.rule_id, klen));
	CHECK(m.v.nhosts <= XW_TARGETS_MAX && m.v.ngroups <= XW_TARGETS_MAX);
	reseal(&m);
	why[0] = '\0';
	r = xw_verdict_check(&m, &limits, FUZZ_NOW_NS, why, sizeof(why));
	CHECK(r < XW_REFUSE_COUNT && (r == XW_REFUSE_NONE || why[0]));
	if (verbose)
		fprintf(stderr, "fuzz_verdict: check: %d %s\n", r, why);
	if (r == XW_REFUSE_NONE && m.kind == XW_VERDICT_KIND_VERDICT) {
		/* What check lets through must never match everything. */
		CHECK(!xw_prefix_is_all(&m.v.src) || m.v.l4_proto);
		CHECK(m.v.ttl_s && m.v.ttl_s <= limits.max_ttl_s);
	}
	(void)xw_verdict_targets(&m.v, "host-1", &groups);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rule_id[256];
	uint64_t version = 0;
	size_t klen, len;
	uint8_t *env;

	if (size < 2)
		return 0;
	if (!(data[0] & 1)) {
		klen = data[1];
		if (klen > size - 2)
			return 0;
		open_and_check(data + 2 + klen, size - 2 - klen, data + 2, klen);
		return 0;
	}
	if (size < 3)
		return 0;
	klen = data[2];
	if (klen > size - 3 || size - 3 - klen < 8)
		return 0;
	memcpy(rule_id, data + 3, klen);
	rule_id[klen] = '\0';
	if (strlen(rule_id) != klen)
		return 0; /* a NUL in the key: protobuf strings cannot hold it */
	for (int i = 0; i < 8; i++)
		version = version << 8 | data[3 + klen + i];
	env = wrap(data[1] & 1, rule_id, version, data + 11 + klen,
		   size - 11 - klen, &len);
	open_and_check(env, len, rule_id, klen);
	free(env);
	return 0;
}
