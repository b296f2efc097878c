// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * seeds.c - writes the verdict fuzzer's seed corpus (corpus/verdict/):
 * envelopes sealed by xw_envelope_seal() with the fixed test key of
 * fuzz_keys.h, in both input forms fuzz_verdict.c reads. Run by hand when
 * the envelope format changes:
 *   build-fuzz/fuzz/xw-fuzz-seeds fuzz/corpus/verdict
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_keys.h"
#include "verdict.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

static void write_file(const char *dir, const char *name, const uint8_t *a,
		       size_t alen, const uint8_t *b, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* One message in both forms: raw (mode 0) and body for re-signing (1). */
static void emit(const char *dir, const char *name,
		 const struct xw_verdict_msg *m,
		 const struct xw_signing_key *key)
{
	Xdpwatch__V1__SignedEnvelope *env;
	uint8_t *buf, hdr[3 + 256 + 8];
	size_t len, klen = strlen(m->rule_id), h = 0;
	char file[128];

	if (xw_envelope_seal(m, FUZZ_TOPIC, key, &buf, &len)) {
		fprintf(stderr, "%s: seal failed\n", name);
		exit(1);
	}
	hdr[h++] = 0;
	hdr[h++] = (uint8_t)klen;
	memcpy(hdr + h, m->rule_id, klen);
	h += klen;
	snprintf(file, sizeof(file), "raw-%s", name);
	write_file(dir, file, hdr, h, buf, len);

	env = xdpwatch__v1__signed_envelope__unpack(NULL, len, buf);
	h = 0;
	hdr[h++] = 1;
	hdr[h++] = m->kind == XW_VERDICT_KIND_WITHDRAW;
	hdr[h++] = (uint8_t)klen;
	memcpy(hdr + h, m->rule_id, klen);
	h += klen;
	for (int i = 7; i >= 0; i--)
		hdr[h++] = (uint8_t)(m->version >> (8 * i));
	snprintf(file, sizeof(file), "resign-%s", name);
	if (m->kind == XW_VERDICT_KIND_WITHDRAW)
		write_file(dir, file, hdr, h, env->withdraw.data,
			   env->withdraw.len);
	else
		write_file(dir, file, hdr, h, env->verdict.data,
			   env->verdict.len);
	xdpwatch__v1__signed_envelope__free_unpacked(env, NULL);
	free(buf);
}

static void prefix(struct xw_prefix *p, const char *text)
{
	char err[128];

	if (xw_prefix_parse(text, p, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct xw_signing_key key;
	struct xw_keyring ring;
	struct xw_verdict_msg m;
	const uint64_t created = FUZZ_NOW_NS - 30ULL * 1000000000ULL;

	if (argc != 2 || fuzz_keys_init(&key, &ring)) {
		fprintf(stderr, "usage: xw-fuzz-seeds DIR\n");
		return 2;
	}

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_VERDICT;
	strcpy(m.rule_id, "soc-0001");
	m.version = 1;
	strcpy(m.issuer, "soc");
	strcpy(m.reason, "SYN flood");
	m.created_unix_ns = created;
	prefix(&m.v.src, "198.51.100.66/32");
	m.v.ttl_s = 600;
	m.v.all_hosts = true;
	emit(argv[1], "v4-drop", &m, &key);

	strcpy(m.rule_id, "det:v6.udp-53");
	m.version = 7;
	prefix(&m.v.src, "2001:db8:66::/48");
	prefix(&m.v.dst, "2001:db8:1::9/128");
	m.v.l4_proto = 17;
	m.v.sport = 53;
	m.v.action = XW_VERDICT_MONITOR;
	m.v.all_hosts = false;
	m.v.nhosts = 2;
	strcpy(m.v.hosts[0], "host-1");
	strcpy(m.v.hosts[1], "host-2");
	m.v.ngroups = 1;
	strcpy(m.v.groups[0], "edge");
	strcpy(m.reason, "réflexion DNS");
	emit(argv[1], "v6-dst-monitor", &m, &key);

	memset(&m.v, 0, sizeof(m.v));
	strcpy(m.rule_id, "rl-1");
	m.version = 3;
	prefix(&m.v.src, "0.0.0.0/0");
	m.v.l4_proto = 6;
	m.v.dport = 443;
	m.v.action = XW_VERDICT_RATE_LIMIT;
	m.v.rate_pps = 1000;
	m.v.ttl_s = 3600;
	m.v.all_hosts = true;
	emit(argv[1], "v4-any-tcp443-ratelimit", &m, &key);

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_WITHDRAW;
	strcpy(m.rule_id, "soc-0001");
	m.version = 2;
	strcpy(m.issuer, "soc");
	strcpy(m.reason, "over");
	m.created_unix_ns = created;
	emit(argv[1], "withdraw", &m, &key);
	return 0;
}
