// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_xdp.c - xw-bench-xdp: what the XDP path costs per packet.
 *
 * Every row runs the same crafted TCP SYN (IPv4 and IPv6, bench_pkts.h)
 * through BPF_PROG_TEST_RUN: `runs` calls of `repeat` packets each, after
 * one untimed warm-up call. The kernel reports each call's average ns per
 * packet (an integer, truncated); the table gives min/median/max of those
 * and the median over the XDP_PASS median of the same family. Our own
 * clock around the call is no use: an XDP test run with repeat > 1 also
 * installs the program in the kernel's XDP dispatcher and takes it out
 * again (RCU waits), milliseconds per call that the kernel's timer leaves
 * out and a wall clock would spread over the packets.
 *
 * Rows: an XDP_PASS-only program; xdpwatch with sampling off, 1:1000 and
 * 1:1 (0 rules); xdpwatch with 1,000, 10,000 and 100,000 deny rules
 * (sampling off) whose prefixes all miss the packet's source, then the same
 * with a packet whose source hits rule 1 (XDP_DROP); 100,000 host rules
 * packed in one block (all in the host hash, the trie empty: for contrast
 * with the random set, a quarter of it in the trie); xdp-filter loaded by
 * its own tool on a veth in a namespace of ours, with 0, 1,000 and up to
 * 10,000 (its map size) source addresses, and its drop row.
 *
 * Nothing here is attached to a real interface except xdp-filter's veth;
 * xdpwatch is only loaded, its maps are filled directly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench_peer.h"
#include "bench_pkts.h"
#include "bench_util.h"
#include "log.h"
#include "pinned.h"
#include "xdp_pass.skel.h"
#include "xdpwatch.skel.h"

#define BENCH_MAX_RUNS 101
_Static_assert(BENCH_MAX_RUNS <= BENCH_SPREAD_MAX, "runs fit bench_spread_of");
#define BENCH_WARMUP 100000 /* packets in the untimed first call */
#define BENCH_MAX_ROWS 48
#define NEAR_RULES 16 /* rules next to the test source, ids 1..16 */
#define RULE_TTL_NS (86400ULL * 1000000000ULL) /* a day: never expires here */
#define RECORD_RING_BYTES 88 /* ring header 8 + struct xw_record 80 */
#define RING_MAX_BYTES (1U << 30)
#define PEER_MAP_MAX 10000 /* xdp-filter's filter_ipv4/ipv6 max_entries */

static const size_t rule_steps[] = { 1000, 10000, 100000 };
#define RULES_MAX 100000
_Static_assert(RULES_MAX < XW_MAX_RULES, "rule ids must fit rule_stats");

/* ---- options: one row per option, --help and bounds come from here ---- */

struct bench_opts {
	long long repeat;
	long long runs;
	long long peer_rules;
	bool no_peer;
	bool verbose;
	const char *netns;
};

#define OFF(f) offsetof(struct bench_opts, f)
static const struct bench_opt opt_rows[] = {
	{ "repeat", 'r', BENCH_OPT_INT, OFF(repeat), 1000000, 1, INT_MAX, NULL, "N",
	  "packets per test-run call; the kernel averages over them" },
	{ "runs", 'n', BENCH_OPT_INT, OFF(runs), 5, 1, BENCH_MAX_RUNS, NULL, "N",
	  "test-run calls per row; min/median/max are over these" },
	{ "peer-rules", 'p', BENCH_OPT_INT, OFF(peer_rules), PEER_MAP_MAX, 1,
	  PEER_MAP_MAX, NULL, "N",
	  "source addresses in xdp-filter's largest row (its maps hold 10000)" },
	{ "no-peer", 'P', BENCH_OPT_FLAG, OFF(no_peer), 0, 0, 0, NULL, NULL,
	  "skip xdp-filter: no namespace, no veth" },
	{ "netns", 'N', BENCH_OPT_STR, OFF(netns), 0, 0, 0, NULL, "NAME",
	  "namespace for xdp-filter, must not exist (default xwbench-<pid>)" },
	{ "verbose", 'v', BENCH_OPT_FLAG, OFF(verbose), 0, 0, 0, NULL, NULL,
	  "log each command and libbpf's detail" },
	{ "help", 'h', BENCH_OPT_HELP, 0, 0, 0, 0, NULL, NULL, "this text" },
};

static const struct bench_cli cli = {
	.prog = "xw-bench-xdp",
	.about = "ns per packet of xdpwatch's XDP program, an XDP_PASS floor and\n"
		 "xdp-filter, by BPF_PROG_TEST_RUN. Needs root (CAP_BPF,\n"
		 "CAP_NET_ADMIN, CAP_SYS_ADMIN), ip(8) and xdp-filter(8).\n\n",
	.opts = opt_rows,
	.nopts = BENCH_OPTS_N(opt_rows),
	.width = 24,
};

/* ---- addresses, packets and rules, per family ---- */

struct fam {
	int family;
	const char *name; /* "v4", "v6" */
	size_t alen;
	uint8_t pass_src[16]; /* misses every rule */
	uint8_t drop_src[16]; /* is rule 1 */
	uint8_t dst[16];
	struct bench_pkt pass, drop;
	int deny_fd; /* xw_deny_v4/v6: prefixes shorter than one address */
	int host_fd; /* xw_deny_host_v4/v6: one address, exact match */
	uint8_t (*rules)[16]; /* address of rule id i at [i - 1] */
	size_t nrules;
	uint64_t rng;
	size_t peer_rules; /* how many of rules[] xdp-filter has */
};

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fam__init(struct fam *f, int family)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->name = family == AF_INET ? "v4" : "v6";
	f->alen = family == AF_INET ? 4 : 16;
	if (family == AF_INET) {
		inet_pton(AF_INET, "203.0.113.9", f->pass_src);
		inet_pton(AF_INET, "203.0.113.10", f->drop_src);
		inet_pton(AF_INET, "192.0.2.1", f->dst);
		f->rng = 0x9e3779b97f4a7c15ULL;
	} else {
		inet_pton(AF_INET6, "2001:db8:0:113::9", f->pass_src);
		inet_pton(AF_INET6, "2001:db8:0:113::a", f->drop_src);
		inet_pton(AF_INET6, "2001:db8::1", f->dst);
		f->rng = 0xc2b2ae3d27d4eb4fULL;
	}
	bench_pkt__tcp_syn(&f->pass, family, f->pass_src, f->dst);
	bench_pkt__tcp_syn(&f->drop, family, f->drop_src, f->dst);
}

/*
 * Rule id -> prefix. Ids 1..16 are host prefixes beside the test source
 * (rule 1 is the drop row's source; .8 differs from .9 in the last bit
 * only); in a trie they made a miss walk to its bottom, in the host hash
 * they are one more entry. The rest are random: every
 * fourth a /24 (IPv4, anywhere) or /64 (IPv6, in 2001:db8::/32), the others
 * host prefixes. None covers the test source.
 */
static void rule__make(struct fam *f, size_t id, uint8_t *addr,
		       uint32_t *plen)
{
	static const uint8_t near[NEAR_RULES] = { 10, 8,  11, 12, 13, 14,
						  15, 16, 17, 18, 19, 20,
						  21, 22, 23, 24 };
	size_t net_bytes;

	if (id <= NEAR_RULES) {
		memcpy(addr, f->pass_src, f->alen);
		addr[f->alen - 1] = near[id - 1];
		*plen = (uint32_t)f->alen * 8;
		return;
	}
	for (;;) {
		uint64_t a = xorshift64(&f->rng), b = xorshift64(&f->rng);

		if (f->family == AF_INET) {
			memcpy(addr, &a, 4);
			net_bytes = 3;
		} else {
			static const uint8_t doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };

			memcpy(addr, doc, 4);
			memcpy(addr + 4, &a, 8);
			memcpy(addr + 12, &b, 4);
			net_bytes = 8;
		}
		if (id % 4) {
			*plen = (uint32_t)f->alen * 8;
			if (memcmp(addr, f->pass_src, f->alen))
				return;
		} else {
			memset(addr + net_bytes, 0, f->alen - net_bytes);
			*plen = (uint32_t)net_bytes * 8;
			if (memcmp(addr, f->pass_src, net_bytes))
				return;
		}
	}
}

/*
 * Add rules nrules+1..to; ids are the rule numbers. As common/rules.c does:
 * one-address rules go to the exact-match map, shorter prefixes to the trie.
 */
static int rules__fill(struct fam *f, size_t to, uint64_t expires_ns)
{
	struct xw_rule val = { .expires_ns = expires_ns,
			       .action = XW_RULE_DROP };

	for (size_t id = f->nrules + 1; id <= to; id++) {
		struct xw_lpm_v6 key6;
		struct xw_lpm_v4 key4;
		void *key = f->family == AF_INET ? (void *)&key4 : &key6;
		uint8_t addr[16];
		uint32_t plen;

		if (bench_stop)
			return -EINTR;
		val.rule_id = (uint32_t)id;
		for (;;) {
			rule__make(f, id, addr, &plen);
			key4.prefixlen = key6.prefixlen = plen;
			memcpy(key4.addr, addr, 4);
			memcpy(key6.addr, addr, 16);
			val.prefixlen = (uint8_t)plen;
			if (!bpf_map_update_elem(plen == f->alen * 8 ?
							 f->host_fd :
							 f->deny_fd,
						 key, &val, BPF_NOEXIST))
				break;
			if (errno != EEXIST) {
				pr_err("deny_%s rule %zu: %s", f->name, id,
				       strerror(errno));
				return -errno;
			}
			/* a duplicate random prefix: draw again */
		}
		memcpy(f->rules[id - 1], addr, 16);
	}
	f->nrules = to;
	return 0;
}

/* ---- measuring ---- */

struct meas {
	uint32_t min, max;
	double med; /* of the kernel's integer averages */
	uint32_t retval;
};

struct row {
	char label[48];
	const struct fam *fam;
	uint32_t want; /* XDP_PASS or XDP_DROP */
	struct meas m;
	int err;
	char note[120];
};

static struct row rows[BENCH_MAX_ROWS];
static size_t nrows;
static struct bench_peer peer;

static void drain(struct ring_buffer *rb)
{
	if (rb && ring_buffer__consume(rb) < 0)
		pr_warn("ring_buffer__consume failed");
}

/* One untimed warm-up call, then o->runs timed calls; rb drained after each. */
static int measure(int prog_fd, const struct bench_pkt *pkt,
		   const struct bench_opts *o, struct ring_buffer *rb,
		   struct meas *m)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt->data,
		    .data_size_in = pkt->len);
	double dur[BENCH_MAX_RUNS];
	struct bench_spread sp;
	int n = (int)o->runs, err;

	t.repeat = o->repeat < BENCH_WARMUP ? (int)o->repeat : BENCH_WARMUP;
	err = bpf_prog_test_run_opts(prog_fd, &t);
	if (err)
		return err;
	drain(rb);
	for (int r = 0; r < n; r++) {
		if (bench_stop)
			return -EINTR;
		t.repeat = (int)o->repeat;
		t.duration = 0;
		err = bpf_prog_test_run_opts(prog_fd, &t);
		if (err)
			return err;
		dur[r] = t.duration;
		if (r && t.retval != m->retval)
			pr_warn("retval changed between runs: %u -> %u",
				m->retval, t.retval);
		m->retval = t.retval;
		drain(rb);
	}
	sp = bench_spread_of(dur, (size_t)n);
	m->min = (uint32_t)sp.min;
	m->max = (uint32_t)sp.max;
	m->med = sp.med;
	return 0;
}

/* The next row of the table, labelled; NULL when it is full. */
static struct row *row_new(const char *label, const struct fam *f)
{
	struct row *r;

	if (nrows == BENCH_MAX_ROWS)
		return NULL;
	r = &rows[nrows++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	r->fam = f;
	return r;
}

static struct row *row_run(const char *label, const struct fam *f,
			   int prog_fd, bool drop, const struct bench_opts *o,
			   struct ring_buffer *rb)
{
	struct row *r = row_new(label, f);

	if (!r)
		return NULL;
	r->want = drop ? XDP_DROP : XDP_PASS;
	if (bench_stop) {
		r->err = -EINTR;
		return r;
	}
	pr_info("measuring %s (%s)", label, f->name);
	r->err = measure(prog_fd, drop ? &f->drop : &f->pass, o, rb, &r->m);
	if (r->err)
		pr_err("%s (%s): test run failed: %s", label, f->name,
		       strerror(-r->err));
	return r;
}

static struct row *row_skip(const char *label, const struct fam *f,
			    const char *why)
{
	struct row *r = row_new(label, f);

	if (!r)
		return NULL;
	r->err = -ENOENT;
	snprintf(r->note, sizeof(r->note), "%s", why);
	return r;
}

static const struct row *row_find(const char *label, const struct fam *f)
{
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].fam == f && !strcmp(rows[i].label, label) &&
		    !rows[i].err)
			return &rows[i];
	return NULL;
}

/* ---- the xdpwatch rows ---- */

struct records {
	unsigned long long drained;
};

static int record_count(void *ctx, void *data, size_t size)
{
	((struct records *)ctx)->drained++;
	return 0;
}

static uint64_t event_sum(int fd, uint32_t ev)
{
	uint64_t v = 0;

	if (xw_percpu_u64_sum(fd, ev, &v))
		pr_warn("cannot read event counter %u", ev);
	return v;
}

static uint32_t ring_size(const struct bench_opts *o)
{
	/* One run's records at 1:1, warm-up drained before it. */
	unsigned long long need = (unsigned long long)o->repeat *
				  RECORD_RING_BYTES;
	uint32_t sz = 4U << 20;

	while (sz < need && sz < RING_MAX_BYTES)
		sz <<= 1;
	return sz;
}

static int run_sampling(struct xdpwatch *skel, struct fam *fams,
			const struct bench_opts *o, struct ring_buffer *rb,
			struct records *recs, uint32_t rate, const char *label)
{
	int cfg_fd = bpf_map__fd(skel->maps.xw_config);
	int ev_fd = bpf_map__fd(skel->maps.xw_events);
	int prog_fd = bpf_program__fd(skel->progs.xdpwatch_main);
	int err;

	/* wakeup_bytes past any ring: always BPF_RB_NO_WAKEUP. */
	err = xw_config__write(cfg_fd, rate, UINT32_MAX);
	if (err) {
		pr_err("xw_config: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t s0 = event_sum(ev_fd, XW_EV_RECORD_SAMPLED);
		uint64_t l0 = event_sum(ev_fd, XW_EV_RECORD_LOST_RINGBUF_FULL);
		unsigned long long d0 = recs->drained;
		struct row *r = row_run(label, &fams[i], prog_fd, false, o, rb);

		if (r && !r->err && rate)
			snprintf(r->note, sizeof(r->note),
				 "%llu records written, %llu lost (ring full), "
				 "%llu drained, for %llu packets",
				 (unsigned long long)(event_sum(ev_fd,
						XW_EV_RECORD_SAMPLED) - s0),
				 (unsigned long long)(event_sum(ev_fd,
						XW_EV_RECORD_LOST_RINGBUF_FULL) - l0),
				 recs->drained - d0,
				 (unsigned long long)(o->repeat * o->runs +
					(o->repeat < BENCH_WARMUP ?
						o->repeat : BENCH_WARMUP)));
	}
	return 0;
}

static int run_clustered(struct fam *fams, const struct bench_opts *o,
			 uint64_t expires_ns);

/* As xw_rules__add does before the first host rule: look in the maps. */
static int host_rules_on(struct xdpwatch *skel)
{
	uint32_t one = 1;

	for (uint32_t v = XW_IPVER_4; v <= XW_IPVER_6; v++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xw_deny_host_on),
					&v, &one, BPF_ANY)) {
			pr_err("xw_deny_host_on: %s", strerror(errno));
			return -errno;
		}
	return 0;
}

static int run_xdpwatch(struct fam *fams, const struct bench_opts *o,
			char *label_drop, size_t label_len)
{
	struct records recs = { 0 };
	struct ring_buffer *rb = NULL;
	struct xdpwatch *skel;
	struct timespec ts;
	uint64_t expires;
	int prog_fd, err;

	skel = xdpwatch__open();
	if (!skel) {
		err = -errno;
		pr_err("xdpwatch: open: %s", strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(skel->maps.xw_records, ring_size(o));
	if (!err)
		err = xdpwatch__load(skel);
	if (err) {
		pr_err("xdpwatch: load: %s", strerror(-err));
		goto out;
	}
	prog_fd = bpf_program__fd(skel->progs.xdpwatch_main);
	fams[0].deny_fd = bpf_map__fd(skel->maps.xw_deny_v4);
	fams[1].deny_fd = bpf_map__fd(skel->maps.xw_deny_v6);
	fams[0].host_fd = bpf_map__fd(skel->maps.xw_deny_host_v4);
	fams[1].host_fd = bpf_map__fd(skel->maps.xw_deny_host_v6);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.xw_records),
			      record_count, &recs, NULL);
	if (!rb) {
		err = -errno;
		pr_err("ring_buffer__new: %s", strerror(-err));
		goto out;
	}

	err = run_sampling(skel, fams, o, rb, &recs, 0,
			   "xdpwatch sampling off, 0 rules");
	if (!err)
		err = run_sampling(skel, fams, o, rb, &recs, 1000,
				   "xdpwatch sampling 1:1000, 0 rules");
	if (!err)
		err = run_sampling(skel, fams, o, rb, &recs, 1,
				   "xdpwatch sampling 1:1, 0 rules");
	if (!err)
		err = xw_config__write(bpf_map__fd(skel->maps.xw_config), 0,
				       UINT32_MAX);
	if (err)
		goto out;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	expires = (uint64_t)ts.tv_sec * 1000000000ULL +
		  (uint64_t)ts.tv_nsec + RULE_TTL_NS;
	err = host_rules_on(skel);
	if (err)
		goto out;
	for (size_t s = 0; s < sizeof(rule_steps) / sizeof(rule_steps[0]);
	     s++) {
		char label[48];

		for (int i = 0; i < 2 && !err; i++)
			err = rules__fill(&fams[i], rule_steps[s], expires);
		if (err)
			goto out;
		snprintf(label, sizeof(label), "xdpwatch off, %zu rules",
			 rule_steps[s]);
		for (int i = 0; i < 2; i++)
			row_run(label, &fams[i], prog_fd, false, o, rb);
	}
	snprintf(label_drop, label_len, "xdpwatch off, %zu rules, DROP hit",
		 fams[0].nrules);
	for (int i = 0; i < 2; i++)
		row_run(label_drop, &fams[i], prog_fd, true, o, rb);
	if (!bench_stop)
		err = run_clustered(fams, o, expires);
	if (bench_stop)
		err = -EINTR;
out:
	ring_buffer__free(rb);
	xdpwatch__destroy(skel);
	return err;
}

/*
 * 100,000 rules in one block far from the source: 198.18.0.0/15 host
 * prefixes (v6: 2001:db8:ffff::/96), in a second instance of the program
 * so the random set stays as it is. All are host rules: the miss is one
 * hash lookup and an empty trie.
 */
static int run_clustered(struct fam *fams, const struct bench_opts *o,
			 uint64_t expires_ns)
{
	struct xw_rule val = { .expires_ns = expires_ns,
			       .action = XW_RULE_DROP };
	struct xdpwatch *skel;
	int err = 0;

	skel = xdpwatch__open_and_load();
	if (!skel) {
		err = -errno;
		pr_err("xdpwatch (clustered): load: %s", strerror(-err));
		return err;
	}
	err = xw_config__write(bpf_map__fd(skel->maps.xw_config), 0,
			       UINT32_MAX);
	if (!err)
		err = host_rules_on(skel);
	for (uint32_t i = 0; i < RULES_MAX && !err; i++) {
		struct xw_lpm_v4 k4 = { .prefixlen = 32,
					.addr = { 198, 18, 0, 0 } };
		struct xw_lpm_v6 k6 = { .prefixlen = 128 };
		uint32_t be = htonl(i);

		k4.addr[1] += (uint8_t)(i >> 16);
		k4.addr[2] = (uint8_t)(i >> 8);
		k4.addr[3] = (uint8_t)i;
		inet_pton(AF_INET6, "2001:db8:ffff::", k6.addr);
		memcpy(k6.addr + 12, &be, 4);
		val.rule_id = i + 1;
		val.prefixlen = 32;
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.xw_deny_host_v4),
					  &k4, &val, BPF_NOEXIST);
		val.prefixlen = 128;
		if (err || bpf_map_update_elem(
				   bpf_map__fd(skel->maps.xw_deny_host_v6), &k6,
				   &val, BPF_NOEXIST)) {
			err = -errno;
			pr_err("clustered rule %u: %s", i + 1, strerror(-err));
		}
	}
	for (int i = 0; i < 2 && !err; i++)
		row_run("xdpwatch off, 100000 clustered rules", &fams[i],
			bpf_program__fd(skel->progs.xdpwatch_main), false, o,
			NULL);
	xdpwatch__destroy(skel);
	return err;
}

/* ---- the xdp-filter rows ---- */

static int peer_fill(struct fam *f, size_t to)
{
	char(*txt)[INET6_ADDRSTRLEN];
	char **argv;
	size_t n = to - f->peer_rules;
	int err;

	if (to <= f->peer_rules)
		return 0;
	txt = calloc(n, sizeof(*txt));
	argv = calloc(n, sizeof(*argv));
	if (!txt || !argv) {
		free(txt);
		free(argv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		/* Prefix rules become their network address: xdp-filter
		 * matches whole addresses only. */
		inet_ntop(f->family, f->rules[f->peer_rules + i], txt[i],
			  sizeof(txt[i]));
		argv[i] = txt[i];
	}
	pr_info("xdp-filter: adding %zu %s source addresses", n, f->name);
	err = bench_peer__add_src(&peer, argv, n);
	if (!err)
		f->peer_rules = to;
	free(argv);
	free(txt);
	return err;
}

static void peer_cleanup_atexit(void)
{
	bench_peer__cleanup(&peer);
}

static int run_peer(struct fam *fams, const struct bench_opts *o,
		    char *netns, char *label_drop, size_t label_len)
{
	size_t steps[2] = { 1000, (size_t)o->peer_rules };
	int err;

	snprintf(label_drop, label_len, "xdp-filter, %lld addrs, DROP hit",
		 o->peer_rules);
	err = bench_peer__setup(&peer, netns, o->verbose);
	if (err)
		goto out;
	pr_info("xdp-filter: prog %u '%s' attached to %s in %s, %s mode%s",
		peer.prog_id, peer.prog_name, BENCH_PEER_IF, netns,
		peer.mode_name, peer.dispatcher ? " (libxdp dispatcher)" : "");
	for (int i = 0; i < 2; i++)
		row_run("xdp-filter, 0 addrs", &fams[i], peer.prog_fd, false,
			o, NULL);
	if (steps[1] <= steps[0]) {
		steps[0] = steps[1];
		steps[1] = 0;
	}
	for (size_t s = 0; s < 2 && steps[s] && !err; s++) {
		char label[48];

		for (int i = 0; i < 2 && !err; i++)
			err = peer_fill(&fams[i], steps[s]);
		if (err)
			goto out;
		snprintf(label, sizeof(label), "xdp-filter, %zu addrs",
			 steps[s]);
		for (int i = 0; i < 2; i++)
			row_run(label, &fams[i], peer.prog_fd, false, o, NULL);
	}
	for (int i = 0; i < 2; i++)
		row_run(label_drop, &fams[i], peer.prog_fd, true, o, NULL);
out:
	bench_peer__cleanup(&peer);
	return err;
}

/* ---- the table ---- */

static void print_table(const struct bench_opts *o, const struct fam *fams,
			const char *peer_desc)
{
	struct utsname u;

	uname(&u);
	printf("\nxw-bench-xdp: ns per packet, BPF_PROG_TEST_RUN, repeat %lld, "
	       "%lld runs per row (+1 warm-up)\n",
	       o->repeat, o->runs);
	printf("kernel %s, %ld CPUs; packets: TCP SYN, %u bytes (v4), %u bytes "
	       "(v6)\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), fams[0].pass.len,
	       fams[1].pass.len);
	printf("xdp-filter: %s\n", peer_desc);
	printf("min/median/max: the kernel's average ns per packet of each run "
	       "(truncated to whole ns);\n/PASS: median over the XDP_PASS "
	       "median of the same family\n");

	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		const struct row *base = row_find("XDP_PASS baseline", f);

		printf("\n%-38s %-3s %-4s %5s %6s %5s %6s\n", "row", "fam",
		       "ret", "min", "median", "max", "/PASS");
		for (size_t k = 0; k < nrows; k++) {
			const struct row *r = &rows[k];
			const char *ret;

			if (r->fam != f)
				continue;
			if (r->err) {
				printf("%-38s %-3s %s\n", r->label, f->name,
				       r->note[0] ? r->note : strerror(-r->err));
				continue;
			}
			ret = r->m.retval != r->want ? "BAD!" :
			      r->want == XDP_DROP    ? "drop" :
						       "pass";
			printf("%-38s %-3s %-4s %5u %6.1f %5u", r->label,
			       f->name, ret, r->m.min, r->m.med, r->m.max);
			if (base && base->m.med > 0)
				printf(" %5.2fx", r->m.med / base->m.med);
			putchar('\n');
		}
	}

	printf("\nNotes:\n");
	for (size_t k = 0; k < nrows; k++)
		if (!rows[k].err && rows[k].note[0])
			printf("  %s (%s): %s\n", rows[k].label,
			       rows[k].fam->name, rows[k].note);
	for (size_t k = 0; k < nrows; k++)
		if (!rows[k].err && rows[k].m.retval != rows[k].want)
			printf("  %s (%s): returned %u, expected %u\n",
			       rows[k].label, rows[k].fam->name,
			       rows[k].m.retval, rows[k].want);
}

static void print_goal(const struct fam *fams, const char *xw_drop,
		       const char *peer_drop)
{
	printf("\nGoal (issue): unsampled path within 2x XDP_PASS, and no "
	       "slower than xdp-filter\n");
	for (int i = 0; i < 2; i++) {
		const struct fam *f = &fams[i];
		const struct row *base = row_find("XDP_PASS baseline", f);
		const struct row *xw = row_find("xdpwatch sampling off, 0 rules", f);
		const struct row *pf = row_find("xdp-filter, 0 addrs", f);
		const struct row *a, *b;

		if (!base || !xw) {
			printf("  %s: not measured\n", f->name);
			continue;
		}
		printf("  %s: xdpwatch off, 0 rules %.1f ns = %.2fx XDP_PASS "
		       "(%.1f ns): %s\n",
		       f->name, xw->m.med, xw->m.med / base->m.med,
		       base->m.med,
		       xw->m.med <= 2 * base->m.med ? "within 2x, HOLDS" :
						      "over 2x, DOES NOT HOLD");
		if (!pf) {
			printf("      xdp-filter not measured\n");
			continue;
		}
		printf("      xdpwatch off, 0 rules / xdp-filter, 0 addrs "
		       "(%.1f ns) = %.2fx: %s\n",
		       pf->m.med, xw->m.med / pf->m.med,
		       xw->m.med <= pf->m.med ? "no slower, HOLDS" :
						"slower, DOES NOT HOLD");
		/* The same number of source rules on both sides. */
		for (size_t k = 0; k < nrows; k++) {
			char want[48];
			size_t n;

			if (rows[k].fam != f || rows[k].err ||
			    sscanf(rows[k].label, "xdp-filter, %zu addrs%c", &n,
				   want) != 1 || !n)
				continue;
			snprintf(want, sizeof(want), "xdpwatch off, %zu rules", n);
			a = row_find(want, f);
			if (a)
				printf("      %s / %s = %.2fx\n", want,
				       rows[k].label,
				       a->m.med / rows[k].m.med);
		}
		a = row_find(xw_drop, f);
		b = row_find(peer_drop, f);
		if (a && b)
			printf("      %s / %s = %.2fx\n", xw_drop, peer_drop,
			       a->m.med / b->m.med);
	}
}

int main(int argc, char **argv)
{
	char netns[64], xw_drop[48] = "", peer_drop[48] = "", peer_desc[256];
	struct xdp_pass *pass = NULL;
	struct bench_opts o;
	struct fam fams[2];
	int err, status = 0;

	err = bench_opts__parse(&cli, &o, sizeof(o), argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	xw_log_set_program("xw-bench-xdp");
	if (o.verbose)
		xw_log_set_level(XW_LOG_DEBUG);
	xw_log_route_libbpf();
	if (o.repeat < 1000000 || o.runs < 5)
		pr_warn("repeat < 1000000 or runs < 5: a quick look, not a "
			"figure to quote");

	bench_signals__install();
	bench_peer__init(&peer);
	atexit(peer_cleanup_atexit);

	fam__init(&fams[0], AF_INET);
	fam__init(&fams[1], AF_INET6);
	for (int i = 0; i < 2; i++) {
		fams[i].rules = calloc(RULES_MAX, sizeof(*fams[i].rules));
		if (!fams[i].rules) {
			pr_err("out of memory");
			return 1;
		}
	}

	pass = xdp_pass__open_and_load();
	if (!pass) {
		pr_err("xdp_pass: load: %s (root? CAP_BPF?)", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 2; i++)
		row_run("XDP_PASS baseline", &fams[i],
			bpf_program__fd(pass->progs.xw_bench_pass), false, &o,
			NULL);
	xdp_pass__destroy(pass);

	err = run_xdpwatch(fams, &o, xw_drop, sizeof(xw_drop));
	if (err)
		status = 1;

	if (o.no_peer) {
		snprintf(peer_desc, sizeof(peer_desc), "skipped (--no-peer)");
	} else if (!bench_stop) {
		if (o.netns)
			snprintf(netns, sizeof(netns), "%s", o.netns);
		else
			snprintf(netns, sizeof(netns), "xwbench-%d",
				 (int)getpid());
		err = run_peer(fams, &o, netns, peer_drop, sizeof(peer_drop));
		if (peer.prog_id)
			snprintf(peer_desc, sizeof(peer_desc),
				 "prog id %u '%s', %s mode on a veth in netns "
				 "%s, %s",
				 peer.prog_id, peer.prog_name, peer.mode_name,
				 netns,
				 peer.dispatcher ?
					 "libxdp dispatcher (what the kernel runs)" :
					 "attached directly (no libxdp dispatcher)");
		else
			snprintf(peer_desc, sizeof(peer_desc),
				 "not loaded: %s", strerror(-err));
		if (err) {
			status = 1;
			for (int i = 0; i < 2; i++)
				if (!row_find("xdp-filter, 0 addrs", &fams[i]))
					row_skip("xdp-filter", &fams[i],
						 "not measured, see the log");
		}
	} else {
		snprintf(peer_desc, sizeof(peer_desc), "interrupted");
	}

	print_table(&o, fams, peer_desc);
	print_goal(fams, xw_drop, peer_drop);
	for (size_t k = 0; k < nrows; k++)
		if (!rows[k].err && rows[k].m.retval != rows[k].want)
			status = 1;
	if (bench_stop) {
		pr_warn("interrupted: the table above is partial");
		status = 130;
	}
	for (int i = 0; i < 2; i++)
		free(fams[i].rules);
	return status;
}
