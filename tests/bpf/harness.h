/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * harness.h - runs the real XDP program through BPF_PROG_TEST_RUN and says
 * what it did: verdict, counter deltas, records. Nothing is attached.
 *
 * API:
 *   xwt_env__open(&env) / xwt_env__close(env)
 *       load a fresh skeleton (own maps, zero counters, no rules), open its
 *       ring buffer, sample every packet
 *   xwt_sample_rate(env, n)            1 in n records (0: none)
 *   xwt_run(env, pkt, len, repeat, &res)
 *       one bpf_prog_test_run_opts; res holds the return code, the
 *       per-CPU-summed deltas of every traffic and event counter, and the
 *       records drained from the ring buffer
 *   xwt_match(desc, &res, len, &expect)
 *       compare one run with a fixture row: verdict, exactly one traffic
 *       slot, exactly the listed events, every record field; prints each
 *       mismatch and returns how many (tables run on past a bad row)
 *   xwt_check(...)                     xwt_match() that fails the test
 *   xwt_slot_of(rec)                   the traffic slot a record implies
 *   xwt_deny_add(), xwt_dst_add(), xwt_allow_add(), xwt_rules_clear(),
 *   xwt_rule_hits()
 *       write struct xw_rule values and allowlist entries into the maps
 *   xwt_live(), xwt_expired()          expires_ns values around now
 *
 * The fixtures are tables in the style of katran's KatranBaseTestFixtures.h:
 * a description, a packet builder (pktgen.h), and struct xwt_expect.
 */
#ifndef XW_TESTS_HARNESS_H
#define XW_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "xdpwatch_shared.h"

/* Records kept per run; more are counted, not stored. */
#define XWT_MAX_RECS 512

struct xdpwatch;
struct ring_buffer;

struct xwt_env {
	struct xdpwatch *skel;
	struct ring_buffer *rb;
	int prog_fd;
	unsigned int nrec; /* records drained since the last reset */
	unsigned int bad_size; /* records of the wrong size */
	struct xw_record recs[XWT_MAX_RECS];
};

struct xwt_result {
	int err; /* bpf_prog_test_run_opts: 0 or -errno */
	uint32_t retval; /* XDP_* */
	uint64_t t0, t1; /* CLOCK_BOOTTIME around the run */
	struct xw_counter traffic[XW_TRAFFIC_SLOTS]; /* deltas */
	uint64_t events[XW_EV_COUNT]; /* deltas */
	unsigned int nrec;
	const struct xw_record *recs; /* env->recs, valid until the next run */
};

/*
 * Every record field a packet decides. Addresses are text (NULL: all
 * zero). ts_ns, ifindex, rx_queue and pkt_len are checked by xwt_check()
 * itself. sample_rate 0 stands for 1, the rate the harness runs at.
 */
struct xwt_rec {
	const char *saddr, *daddr;
	uint16_t sport, dport, ip_len, l4_payload_len, tcp_window, vlan_id;
	uint8_t ip_ver, l4_proto, tcp_flags, ttl, tos, frag, action, tunnel;
	uint8_t vlan_count, flags;
	uint32_t rule_id, sample_rate;
};

struct xwt_expect {
	uint32_t xdp; /* XDP_PASS or XDP_DROP */
	uint8_t l4; /* enum xw_l4 of the traffic slot; ipver and action
		     * come from rec.ip_ver and rec.action */
	uint8_t events[4]; /* each counted exactly once; 0 ends the list.
			    * XW_EV_RECORD_SAMPLED is implied. */
	struct xwt_rec rec;
};

int xwt_env__open(struct xwt_env **envp);
void xwt_env__close(struct xwt_env *env);
int xwt_sample_rate(struct xwt_env *env, uint32_t rate);

void xwt_run(struct xwt_env *env, const void *pkt, size_t len, int repeat,
	     struct xwt_result *res);
int xwt_match(const char *desc, const struct xwt_result *res, size_t len,
	      const struct xwt_expect *e);
void xwt_check(const char *desc, const struct xwt_result *res, size_t len,
	       const struct xwt_expect *e);

uint32_t xwt_slot_of(const struct xw_record *rec);
uint64_t xwt_traffic_packets(const struct xwt_result *res);
uint64_t xwt_parse_errors(const struct xwt_result *res);

uint64_t xwt_live(void);
uint64_t xwt_expired(void);
void xwt_deny_add(struct xwt_env *env, const char *prefix,
		  const struct xw_rule *rule);
void xwt_allow_add(struct xwt_env *env, const char *prefix);
/* A destination-keyed rule; src NULL: any source. */
void xwt_dst_add(struct xwt_env *env, const char *dst, const char *src,
		 const struct xw_rule *rule);
void xwt_rules_clear(struct xwt_env *env);
struct xw_counter xwt_rule_hits(struct xwt_env *env, uint32_t rule_id);
void xwt_addr(const char *text, uint8_t out[16]);

/* cmocka groups, one per test file; main.c runs them. */
int xwt_group_parse(void);
int xwt_group_truncate(void);
int xwt_group_rules(void);
int xwt_group_sampling(void);
int xwt_group_fuzz(void);

/* The skeleton's maps as common/rules.c takes them: rules written the
 * way the collector writes them. */
struct xw_maps;
void xwt_maps(struct xwt_env *env, struct xw_maps *m);

#endif /* XW_TESTS_HARNESS_H */
