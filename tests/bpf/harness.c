// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * harness.c - see harness.h. Loads the skeleton, runs frames through
 * BPF_PROG_TEST_RUN, diffs the per-CPU counters around each run and drains
 * the ring buffer, then compares against fixture rows field by field so a
 * failure names the field rather than a byte offset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "harness.h"
#include "names.h"
#include "pinned.h"
#include "rules.h"
#include "xdpwatch.skel.h"

static int on_record(void *ctx, void *data, size_t size)
{
	struct xwt_env *env = ctx;

	if (size != sizeof(struct xw_record)) {
		env->bad_size++;
		return 0;
	}
	/* Copy and return 0: a negative return would lose this record. */
	if (env->nrec < XWT_MAX_RECS)
		memcpy(&env->recs[env->nrec], data, size);
	env->nrec++;
	return 0;
}

int xwt_sample_rate(struct xwt_env *env, uint32_t rate)
{
	return xw_config__write(bpf_map__fd(env->skel->maps.xw_config), rate,
				1);
}

int xwt_env__open(struct xwt_env **envp)
{
	struct xwt_env *env = calloc(1, sizeof(*env));
	int err;

	if (!env)
		return -ENOMEM;
	env->skel = xdpwatch__open_and_load();
	if (!env->skel) {
		err = -errno;
		goto fail;
	}
	env->prog_fd = bpf_program__fd(env->skel->progs.xdpwatch_main);
	env->rb = ring_buffer__new(bpf_map__fd(env->skel->maps.xw_records),
				   on_record, env, NULL);
	if (!env->rb) {
		err = -errno;
		goto fail;
	}
	err = xwt_sample_rate(env, 1);
	if (err)
		goto fail;
	*envp = env;
	return 0;
fail:
	xwt_env__close(env);
	return err;
}

void xwt_env__close(struct xwt_env *env)
{
	if (!env)
		return;
	ring_buffer__free(env->rb);
	xdpwatch__destroy(env->skel);
	free(env);
}

struct snap {
	struct xw_counter traffic[XW_TRAFFIC_SLOTS];
	uint64_t events[XW_EV_COUNT];
};

static void snap_take(struct xwt_env *env, struct snap *s)
{
	int tfd = bpf_map__fd(env->skel->maps.xw_traffic);
	int efd = bpf_map__fd(env->skel->maps.xw_events);

	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++)
		assert_int_equal(xw_percpu_counter_sum(tfd, i, &s->traffic[i]),
				 0);
	for (uint32_t i = 0; i < XW_EV_COUNT; i++)
		assert_int_equal(xw_percpu_u64_sum(efd, i, &s->events[i]), 0);
}

void xwt_run(struct xwt_env *env, const void *pkt, size_t len, int repeat,
	     struct xwt_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = len, .repeat = repeat);
	struct snap before, after;

	/* Leftovers of an earlier run must not be taken for this one's. */
	ring_buffer__consume(env->rb);
	env->nrec = 0;
	env->bad_size = 0;

	memset(res, 0, sizeof(*res));
	snap_take(env, &before);
	res->t0 = xw_boottime_ns();
	res->err = bpf_prog_test_run_opts(env->prog_fd, &opts) ? -errno : 0;
	res->t1 = xw_boottime_ns();
	res->retval = opts.retval;
	snap_take(env, &after);
	for (int i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		res->traffic[i].packets =
			after.traffic[i].packets - before.traffic[i].packets;
		res->traffic[i].bytes =
			after.traffic[i].bytes - before.traffic[i].bytes;
	}
	for (int i = 0; i < XW_EV_COUNT; i++)
		res->events[i] = after.events[i] - before.events[i];

	assert_true(ring_buffer__consume(env->rb) >= 0);
	assert_int_equal(env->bad_size, 0);
	res->nrec = env->nrec;
	res->recs = env->recs;
}

uint64_t xwt_traffic_packets(const struct xwt_result *res)
{
	uint64_t n = 0;

	for (int i = 0; i < XW_TRAFFIC_SLOTS; i++)
		n += res->traffic[i].packets;
	return n;
}

uint64_t xwt_parse_errors(const struct xwt_result *res)
{
	uint64_t n = 0;

	for (int i = XW_EV_NONE + 1; i < XW_EV_PARSE_ERROR_END; i++)
		n += res->events[i];
	return n;
}

static uint8_t l4_class_of(uint8_t proto)
{
	switch (proto) {
	case 6:
		return XW_L4_TCP;
	case 17:
		return XW_L4_UDP;
	case 1:
		return XW_L4_ICMP;
	case 58:
		return XW_L4_ICMPV6;
	default:
		return XW_L4_OTHER;
	}
}

static uint8_t ipver_of(uint8_t ip_ver)
{
	return ip_ver == 4 ? XW_IPVER_4 :
	       ip_ver == 6 ? XW_IPVER_6 : XW_IPVER_NONE;
}

uint32_t xwt_slot_of(const struct xw_record *rec)
{
	uint8_t l4 = l4_class_of(rec->l4_proto);

	if (!rec->ip_ver || (rec->frag & XW_FRAG_LATER))
		l4 = XW_L4_OTHER;
	return XW_TRAFFIC_IDX(ipver_of(rec->ip_ver), l4, rec->action);
}

void xwt_addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!text)
		return;
	if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, out) != 1)
		fail_msg("bad address in fixture: %s", text);
}

static const char *addr_str(const uint8_t a[16], int v6, char *buf)
{
	return inet_ntop(v6 ? AF_INET6 : AF_INET, a, buf, INET6_ADDRSTRLEN);
}

#define FIELD(name, got, want)                                              \
	do {                                                                \
		if ((unsigned long long)(got) != (unsigned long long)(want)) { \
			print_error("%s: %s = %llu (0x%llx), want %llu\n",  \
				    desc, name, (unsigned long long)(got),   \
				    (unsigned long long)(got),               \
				    (unsigned long long)(want));             \
			bad++;                                              \
		}                                                           \
	} while (0)

static int check_record(const char *desc, const struct xw_record *r,
			const struct xwt_result *res, size_t len,
			const struct xwt_rec *w)
{
	char gb[INET6_ADDRSTRLEN];
	uint8_t sa[16], da[16];
	int bad = 0;

	xwt_addr(w->saddr, sa);
	xwt_addr(w->daddr, da);
	if (memcmp(r->saddr, sa, 16)) {
		print_error("%s: saddr = %s, want %s\n", desc,
			    addr_str(r->saddr, r->ip_ver == 6, gb),
			    w->saddr ? w->saddr : "(zero)");
		bad++;
	}
	if (memcmp(r->daddr, da, 16)) {
		print_error("%s: daddr = %s, want %s\n", desc,
			    addr_str(r->daddr, r->ip_ver == 6, gb),
			    w->daddr ? w->daddr : "(zero)");
		bad++;
	}
	FIELD("ip_ver", r->ip_ver, w->ip_ver);
	FIELD("l4_proto", r->l4_proto, w->l4_proto);
	FIELD("sport", r->sport, w->sport);
	FIELD("dport", r->dport, w->dport);
	FIELD("tcp_flags", r->tcp_flags, w->tcp_flags);
	FIELD("tcp_window", r->tcp_window, w->tcp_window);
	FIELD("ttl", r->ttl, w->ttl);
	FIELD("tos", r->tos, w->tos);
	FIELD("ip_len", r->ip_len, w->ip_len);
	FIELD("l4_payload_len", r->l4_payload_len, w->l4_payload_len);
	FIELD("frag", r->frag, w->frag);
	FIELD("vlan_id", r->vlan_id, w->vlan_id);
	FIELD("vlan_count", r->vlan_count, w->vlan_count);
	FIELD("tunnel", r->tunnel, w->tunnel);
	FIELD("action", r->action, w->action);
	FIELD("rule_id", r->rule_id, w->rule_id);
	FIELD("flags", r->flags, w->flags);
	FIELD("sample_rate", r->sample_rate,
	      w->sample_rate ? w->sample_rate : 1);
	FIELD("pkt_len", r->pkt_len, len);
	/* BPF_PROG_TEST_RUN without a ctx runs on loopback's rx queue 0. */
	FIELD("ifindex", r->ifindex, 1);
	FIELD("rx_queue", r->rx_queue, 0);
	if (r->ts_ns < res->t0 || r->ts_ns > res->t1) {
		print_error("%s: ts_ns %llu outside the run [%llu, %llu]\n",
			    desc, (unsigned long long)r->ts_ns,
			    (unsigned long long)res->t0,
			    (unsigned long long)res->t1);
		bad++;
	}
	return bad;
}

int xwt_match(const char *desc, const struct xwt_result *res, size_t len,
	      const struct xwt_expect *e)
{
	uint32_t slot = XW_TRAFFIC_IDX(ipver_of(e->rec.ip_ver), e->l4,
				       e->rec.action);
	int bad = 0;

	if (res->err) {
		print_error("%s: test_run failed: %s\n", desc,
			    strerror(-res->err));
		return 1;
	}
	FIELD("XDP verdict", res->retval, e->xdp);

	/* Exactly one traffic slot moved, by one packet of this length. */
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		int hit = i == slot;

		if (res->traffic[i].packets != (uint64_t)hit ||
		    res->traffic[i].bytes != (hit ? len : 0)) {
			print_error("%s: traffic[%u] (ipver %u l4 %s act %s) "
				    "moved %llu/%llu, want %d/%zu\n",
				    desc, i, i / (XW_L4_COUNT * XW_ACT_COUNT),
				    xw_l4_class_name(i / XW_ACT_COUNT %
						     XW_L4_COUNT),
				    xw_action_name(i % XW_ACT_COUNT),
				    (unsigned long long)res->traffic[i].packets,
				    (unsigned long long)res->traffic[i].bytes,
				    hit, hit ? len : 0);
			bad++;
		}
	}

	/* Exactly the listed events, and the one sampled record. */
	for (int ev = 0; ev < XW_EV_COUNT; ev++) {
		uint64_t want = ev == XW_EV_RECORD_SAMPLED;

		for (size_t k = 0; k < sizeof(e->events) && e->events[k]; k++)
			want += e->events[k] == ev;
		if (res->events[ev] != want) {
			print_error("%s: event %s counted %llu, want %llu\n",
				    desc, xw_event_name(ev),
				    (unsigned long long)res->events[ev],
				    (unsigned long long)want);
			bad++;
		}
	}

	if (res->nrec != 1) {
		print_error("%s: %u records, want 1\n", desc, res->nrec);
		bad++;
	} else {
		bad += check_record(desc, &res->recs[0], res, len, &e->rec);
		if (xwt_slot_of(&res->recs[0]) != slot) {
			print_error("%s: record implies traffic slot %u, "
				    "counter moved %u\n",
				    desc, xwt_slot_of(&res->recs[0]), slot);
			bad++;
		}
	}
	return bad;
}

void xwt_check(const char *desc, const struct xwt_result *res, size_t len,
	       const struct xwt_expect *e)
{
	int bad = xwt_match(desc, res, len, e);

	if (bad)
		fail_msg("%s: %d mismatch(es), see above", desc, bad);
}

uint64_t xwt_live(void)
{
	return xw_boottime_ns() + 3600ULL * 1000000000ULL;
}

uint64_t xwt_expired(void)
{
	return xw_boottime_ns() - 1000000000ULL;
}

/* "10.0.0.0/8" or "2001:db8::/32" into an LPM key of either family. */
static int lpm_key(const char *prefix, struct xw_lpm_v4 *k4,
		   struct xw_lpm_v6 *k6)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(prefix, '/');
	int v6 = strchr(prefix, ':') != NULL;
	size_t n = slash ? (size_t)(slash - prefix) : strlen(prefix);
	uint8_t a[16];

	assert_true(n < sizeof(addr));
	memcpy(addr, prefix, n);
	addr[n] = '\0';
	xwt_addr(addr, a);
	if (v6) {
		k6->prefixlen = slash ? atoi(slash + 1) : 128;
		memcpy(k6->addr, a, 16);
	} else {
		k4->prefixlen = slash ? atoi(slash + 1) : 32;
		memcpy(k4->addr, a, 4);
	}
	return v6;
}

void xwt_deny_add(struct xwt_env *env, const char *prefix,
		  const struct xw_rule *rule)
{
	struct xw_lpm_v4 k4 = { 0 };
	struct xw_lpm_v6 k6 = { 0 };
	int v6 = lpm_key(prefix, &k4, &k6);
	struct xw_rule r = *rule;
	uint32_t ipver = v6 ? XW_IPVER_6 : XW_IPVER_4, one = 1;
	int fd;

	/* As common/rules.c does: the value repeats its key's length, and a
	 * one-address rule goes to the exact-match map, flagged on first. */
	r.prefixlen = (uint8_t)(v6 ? k6.prefixlen : k4.prefixlen);
	if (r.prefixlen == (v6 ? 128 : 32)) {
		assert_int_equal(bpf_map_update_elem(
					 bpf_map__fd(env->skel->maps.xw_deny_host_on),
					 &ipver, &one, BPF_ANY),
				 0);
		fd = bpf_map__fd(v6 ? env->skel->maps.xw_deny_host_v6 :
				      env->skel->maps.xw_deny_host_v4);
	} else {
		fd = bpf_map__fd(v6 ? env->skel->maps.xw_deny_v6 :
				      env->skel->maps.xw_deny_v4);
	}
	assert_int_equal(bpf_map_update_elem(fd, v6 ? (void *)&k6 :
						      (void *)&k4,
					     &r, BPF_ANY),
			 0);
}

void xwt_dst_add(struct xwt_env *env, const char *dst, const char *src,
		 const struct xw_rule *rule)
{
	struct xw_lpm_v4 k4 = { 0 }, s4 = { 0 };
	struct xw_lpm_v6 k6 = { 0 }, s6 = { 0 };
	int v6 = lpm_key(dst, &k4, &k6), fd, i;
	uint32_t ipver = v6 ? XW_IPVER_6 : XW_IPVER_4, one = 1;
	struct xw_dst_rules set;
	void *key = v6 ? (void *)&k6 : (void *)&k4;

	fd = bpf_map__fd(v6 ? env->skel->maps.xw_deny_dst_v6 :
			      env->skel->maps.xw_deny_dst_v4);
	if (bpf_map_lookup_elem(fd, key, &set))
		memset(&set, 0, sizeof(set));
	for (i = 0; i < XW_DST_RULES && set.r[i].rule.rule_id; i++)
		;
	assert_true(i < XW_DST_RULES);
	/* As common/rules.c does, but in the order the test adds them. */
	set.r[i].rule = *rule;
	set.r[i].rule.prefixlen = (uint8_t)(v6 ? k6.prefixlen : k4.prefixlen);
	if (src) {
		lpm_key(src, &s4, &s6);
		memcpy(set.r[i].src, v6 ? s6.addr : s4.addr, v6 ? 16 : 4);
		set.r[i].src_len = (uint8_t)(v6 ? s6.prefixlen : s4.prefixlen);
	}
	assert_int_equal(bpf_map_update_elem(
				 bpf_map__fd(env->skel->maps.xw_deny_dst_on),
				 &ipver, &one, BPF_ANY),
			 0);
	assert_int_equal(bpf_map_update_elem(fd, key, &set, BPF_ANY), 0);
}

void xwt_allow_add(struct xwt_env *env, const char *prefix)
{
	struct xw_lpm_v4 k4 = { 0 };
	struct xw_lpm_v6 k6 = { 0 };
	int v6 = lpm_key(prefix, &k4, &k6);
	int fd = bpf_map__fd(v6 ? env->skel->maps.xw_allow_v6 :
				  env->skel->maps.xw_allow_v4);
	uint8_t one = 1;

	assert_int_equal(bpf_map_update_elem(fd, v6 ? (void *)&k6 :
						      (void *)&k4,
					     &one, BPF_ANY),
			 0);
}

/* Delete every key; restart from the top as the trie changes under us. */
static void map_clear(struct bpf_map *map)
{
	int fd = bpf_map__fd(map);
	uint8_t key[sizeof(struct xw_lpm_v6)];

	while (!bpf_map_get_next_key(fd, NULL, key))
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
}

void xwt_rules_clear(struct xwt_env *env)
{
	map_clear(env->skel->maps.xw_deny_v4);
	map_clear(env->skel->maps.xw_deny_v6);
	map_clear(env->skel->maps.xw_deny_host_v4);
	map_clear(env->skel->maps.xw_deny_host_v6);
	map_clear(env->skel->maps.xw_deny_dst_v4);
	map_clear(env->skel->maps.xw_deny_dst_v6);
	for (uint32_t v = 0; v < XW_IPVER_COUNT; v++) {
		uint32_t off = 0;

		/* Back to "no host or dst rule yet": the next add must flag it. */
		assert_int_equal(bpf_map_update_elem(
					 bpf_map__fd(env->skel->maps.xw_deny_host_on),
					 &v, &off, BPF_ANY),
				 0);
		assert_int_equal(bpf_map_update_elem(
					 bpf_map__fd(env->skel->maps.xw_deny_dst_on),
					 &v, &off, BPF_ANY),
				 0);
	}
	map_clear(env->skel->maps.xw_allow_v4);
	map_clear(env->skel->maps.xw_allow_v6);
}

struct xw_counter xwt_rule_hits(struct xwt_env *env, uint32_t rule_id)
{
	struct xw_counter c;

	assert_int_equal(xw_percpu_counter_sum(
				 bpf_map__fd(env->skel->maps.xw_rule_stats),
				 rule_id, &c),
			 0);
	return c;
}

void xwt_maps(struct xwt_env *env, struct xw_maps *m)
{
	struct xdpwatch *k = env->skel;

	*m = (struct xw_maps){
		.config = bpf_map__fd(k->maps.xw_config),
		.traffic = bpf_map__fd(k->maps.xw_traffic),
		.events = bpf_map__fd(k->maps.xw_events),
		.deny_v4 = bpf_map__fd(k->maps.xw_deny_v4),
		.deny_v6 = bpf_map__fd(k->maps.xw_deny_v6),
		.deny_host_v4 = bpf_map__fd(k->maps.xw_deny_host_v4),
		.deny_host_v6 = bpf_map__fd(k->maps.xw_deny_host_v6),
		.deny_host_on = bpf_map__fd(k->maps.xw_deny_host_on),
		.allow_v4 = bpf_map__fd(k->maps.xw_allow_v4),
		.allow_v6 = bpf_map__fd(k->maps.xw_allow_v6),
		.rule_stats = bpf_map__fd(k->maps.xw_rule_stats),
		.verdict_ids = bpf_map__fd(k->maps.xw_verdict_ids),
		.deny_dst_v4 = bpf_map__fd(k->maps.xw_deny_dst_v4),
		.deny_dst_v6 = bpf_map__fd(k->maps.xw_deny_dst_v6),
		.deny_dst_on = bpf_map__fd(k->maps.xw_deny_dst_on),
		.rate = bpf_map__fd(k->maps.xw_rate),
	};
}
