// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_fuzz.c - the XDP program on random and mutated frames through
 * BPF_PROG_TEST_RUN, with invariants checked for every frame.
 *
 * Frames are random bytes (often behind a real Ethertype), and the fixture
 * frames of test_parse.c and test_truncate.c with bytes flipped, 16-bit
 * fields overwritten, cut short, or their payload (everything after the
 * headers) rewritten and extended. A xorshift generator makes the run
 * deterministic: the seed is printed, XW_BPF_FUZZ_SEED sets it and
 * XW_BPF_FUZZ_COUNT the number of frames per phase (default 100000, two
 * phases: without rules, then with rules). A failing frame is printed as
 * hex with its seed and index.
 *
 * For every frame:
 *   - the run succeeds and returns XDP_PASS or XDP_DROP, never ABORTED;
 *   - exactly one record, of this length, with sane fields: IP version
 *     0/4/6, no address bytes past the family's, addresses that occur in
 *     the frame, L4 fields only for an L4 protocol and a first fragment;
 *   - without rules: XDP_PASS, action pass, rule id 0;
 *   - with rules: the action and rule id are what a user-space oracle of
 *     the installed rules gives for the record's parsed fields (so a drop
 *     only for a source, or destination, a rule names), XDP_DROP exactly
 *     for action drop;
 *   - a fixture frame whose payload changed parses to the same record,
 *     and without error: bytes after the headers never matter.
 * For every batch of frames, from the per-CPU counters:
 *   - traffic packets summed over all slots == frames run, bytes == their
 *     lengths, and each slot moved by the records that name it;
 *   - parse-error events == records flagged XW_REC_PARSE_ERROR (one
 *     reason per malformed frame, none for a good one); tunnel decaps ==
 *     records from inside a tunnel; records sampled == frames, none lost.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "fixtures.h"
#include "names.h"
#include "pinned.h"
#include "textparse.h"
#include "xdpwatch.skel.h"

#define FUZZ_COUNT_DEFAULT 100000
#define FUZZ_SEED_DEFAULT 0x5eedf00dULL
#define BATCH XWT_MAX_RECS /* records the harness keeps per drain */
#define FRAME_MAX (PKTGEN_MAX + 64)
#define SEEDS_MAX 128
#define FAIL_MAX 5 /* frames printed before the test gives up */

struct frame {
	uint8_t buf[FRAME_MAX];
	uint16_t len;
	int16_t seed; /* fixture it came from; -1: random bytes */
	bool payload_only; /* only bytes past the seed's headers changed */
};

/* A fixture frame, its record, and where its headers end. */
struct seed {
	const char *desc;
	uint8_t buf[PKTGEN_MAX];
	uint16_t len;
	uint16_t hdr_end; /* 0: the frame is malformed, no payload mode */
	struct xw_record rec;
};

struct counters {
	struct xw_counter traffic[XW_TRAFFIC_SLOTS];
	uint64_t events[XW_EV_COUNT];
};

/* Rules of the second phase, for the oracle. Prefixes do not overlap,
 * so which rule applies needs no longest-match reasoning. */
struct orule {
	const char *prefix; /* source, or destination when dst */
	bool dst;
	struct xw_rule r;
	struct xw_prefix p;
};

static struct orule orules[] = {
	{ .prefix = "198.51.100.0/24",
	  .r = { .rule_id = 1, .action = XW_RULE_DROP } },
	{ .prefix = IS6 "/128",
	  .r = { .rule_id = 2, .action = XW_RULE_DROP, .l4_proto = 6 } },
	{ .prefix = "10.1.1.0/24",
	  .r = { .rule_id = 3, .action = XW_RULE_MONITOR } },
	{ .prefix = "2001:db8:2::/48", .dst = true,
	  .r = { .rule_id = 4, .action = XW_RULE_DROP, .l4_proto = 17 } },
	{ .prefix = "203.0.113.0/24", .dst = true,
	  .r = { .rule_id = 5, .action = XW_RULE_DROP, .l4_proto = 6,
		 .dport = 22 } },
};
static const char *const allows[] = { "10.1.1.1/32" };

static struct xwt_env *env;
static struct seed seeds[SEEDS_MAX];
static unsigned int nseeds;
static uint64_t rng;
static bool rules_on;
static unsigned int failures;
/* What a phase ran into, printed so a run shows it went somewhere. */
static struct {
	uint64_t frames, malformed, l4, decap, payload_only;
	uint64_t action[XW_ACT_COUNT];
} seen;

static uint64_t next(void)
{
	/* xorshift64*: fast, and the same sequence for the same seed. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(next() % n);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static void counters_read(struct counters *c)
{
	int tfd = bpf_map__fd(env->skel->maps.xw_traffic);
	int efd = bpf_map__fd(env->skel->maps.xw_events);

	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++)
		assert_int_equal(xw_percpu_counter_sum(tfd, i, &c->traffic[i]),
				 0);
	for (uint32_t i = 0; i < XW_EV_COUNT; i++)
		assert_int_equal(xw_percpu_u64_sum(efd, i, &c->events[i]), 0);
}

/* One frame through the program; the record stays in the ring. */
static uint32_t run_one(const void *buf, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = 1);

	if (bpf_prog_test_run_opts(env->prog_fd, &opts))
		return (uint32_t)-errno | 0x80000000u; /* > any XDP_* */
	return opts.retval;
}

static void drain_reset(void)
{
	ring_buffer__consume(env->rb);
	env->nrec = 0;
}

static void hexdump(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", p[i], i % 32 == 31 ? "\n" : "");
	fprintf(stderr, "\n");
}

static void frame_fail(const struct frame *f, uint64_t index,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void frame_fail(const struct frame *f, uint64_t index,
		       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bpf fuzz: frame %llu (%s, seed fixture %s%s): ",
		(unsigned long long)index, rules_on ? "rules" : "no rules",
		f->seed >= 0 ? seeds[f->seed].desc : "none",
		f->payload_only ? ", payload only" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%u bytes:\n", f->len);
	hexdump(f->buf, f->len);
	failures++;
}

/* A record with what varies between runs of one frame zeroed. */
static struct xw_record rec_key(const struct xw_record *r)
{
	struct xw_record k = *r;

	k.ts_ns = 0;
	k.pkt_len = 0;
	return k;
}

static bool rec_same(const struct xw_record *a, const struct xw_record *b)
{
	struct xw_record x = rec_key(a), y = rec_key(b);

	return !memcmp(&x, &y, sizeof(x));
}

/* ---- seeds ------------------------------------------------------------ */

static bool run_for_record(const uint8_t *buf, size_t len,
			   struct xw_record *rec)
{
	uint32_t ret;

	drain_reset();
	ret = run_one(buf, len);
	ring_buffer__consume(env->rb);
	if (ret > XDP_REDIRECT || env->nrec != 1)
		return false;
	*rec = env->recs[0];
	return true;
}

static void seed_add(const struct xwt_case *c)
{
	struct seed *s = &seeds[nseeds];
	struct pktgen b;
	size_t len;

	assert_true(nseeds < SEEDS_MAX);
	pktgen__init(&b);
	len = c->build(&b);
	if (c->cut)
		len = c->cut;
	if (len < 14)
		return; /* BPF_PROG_TEST_RUN takes an Ethernet header at least */
	s->desc = c->desc;
	memcpy(s->buf, b.buf, len);
	s->len = (uint16_t)len;
	assert_true(run_for_record(s->buf, s->len, &s->rec));
	/*
	 * Where the headers end: the shortest cut that parses to the same
	 * record without error. Only for a good frame; a malformed one's
	 * record already says it stopped early.
	 */
	s->hdr_end = 0;
	if (!(s->rec.flags & XW_REC_PARSE_ERROR)) {
		for (size_t cut = 14; cut <= len; cut++) {
			struct xw_record r;

			assert_true(run_for_record(s->buf, cut, &r));
			if (!(r.flags & XW_REC_PARSE_ERROR) &&
			    rec_same(&r, &s->rec)) {
				s->hdr_end = (uint16_t)cut;
				break;
			}
		}
		assert_true(s->hdr_end);
	}
	nseeds++;
}

static void seeds_load(void)
{
	const struct xwt_case *t;
	size_t n;

	nseeds = 0;
	t = xwt_parse_cases(&n);
	for (size_t i = 0; i < n; i++)
		seed_add(&t[i]);
	t = xwt_truncate_cases(&n);
	for (size_t i = 0; i < n; i++)
		seed_add(&t[i]);
}

/* ---- frames ----------------------------------------------------------- */

static void frame_random(struct frame *f)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8,
					  0x0806 };

	f->seed = -1;
	f->payload_only = false;
	f->len = (uint16_t)(14 + below(200));
	for (unsigned int i = 0; i < f->len; i++)
		f->buf[i] = (uint8_t)next();
	/* Mostly a real Ethertype and IP version, or nothing gets parsed. */
	if (below(4)) {
		uint16_t t = types[below(sizeof(types) / sizeof(types[0]))];

		f->buf[12] = t >> 8;
		f->buf[13] = t & 0xff;
		if (f->len > 14 && t == 0x0800)
			f->buf[14] = (uint8_t)(0x40 | (f->buf[14] & 0x0f));
		if (f->len > 14 && t == 0x86dd)
			f->buf[14] = (uint8_t)(0x60 | (f->buf[14] & 0x0f));
	}
}

static void frame_mutate(struct frame *f)
{
	const struct seed *s = &seeds[below(nseeds)];
	unsigned int n, mode = below(4);

	f->seed = (int16_t)(s - seeds);
	f->payload_only = false;
	memcpy(f->buf, s->buf, s->len);
	f->len = s->len;

	switch (mode) {
	case 0: /* a few bytes flipped or set anywhere */
		for (n = 1 + below(4); n; n--) {
			unsigned int at = below(f->len);

			f->buf[at] = below(2) ? (uint8_t)next() :
						f->buf[at] ^ (uint8_t)(1u << below(8));
		}
		break;
	case 1: /* a 16-bit field in the headers: lengths, types, offsets */
		for (n = 1 + below(2); n; n--) {
			unsigned int at = below(f->len - 1);
			static const uint16_t v[] = { 0, 1, 0xffff, 0x7fff,
						      0x8000, 0x0fff, 40, 5 };
			uint16_t x = below(2) ? v[below(8)] : (uint16_t)next();

			f->buf[at] = x >> 8;
			f->buf[at + 1] = x & 0xff;
		}
		break;
	case 2: /* cut short */
		f->len = (uint16_t)(14 + below(f->len - 13));
		break;
	default: /* payload rewritten and extended; headers kept */
		if (!s->hdr_end) {
			f->len = (uint16_t)(14 + below(f->len - 13));
			break;
		}
		for (unsigned int i = s->hdr_end; i < f->len; i++)
			f->buf[i] = (uint8_t)next();
		n = below(65);
		for (unsigned int i = 0; i < n; i++)
			f->buf[f->len + i] = (uint8_t)next();
		f->len = (uint16_t)(f->len + n);
		f->payload_only = true;
		break;
	}
}

/* ---- oracle ----------------------------------------------------------- */

static bool in_prefix(const struct xw_prefix *p, int family,
		      const uint8_t *addr)
{
	struct xw_prefix a = { .family = family,
			       .len = family == AF_INET ? 32 : 128 };

	memcpy(a.addr, addr, family == AF_INET ? 4 : 16);
	return xw_prefix_contains(p, &a);
}

static bool l4_ok(const struct xw_rule *r, const struct xw_record *rec)
{
	if (!r->l4_proto)
		return true;
	return r->l4_proto == rec->l4_proto && (rec->flags & XW_REC_L4_VALID) &&
	       (!r->sport || r->sport == rec->sport) &&
	       (!r->dport || r->dport == rec->dport);
}

/* What the installed rules say for this record: action and rule id. */
static uint8_t oracle(const struct xw_record *rec, uint32_t *rule_id)
{
	int fam = rec->ip_ver == 4 ? AF_INET : AF_INET6;
	const struct orule *hit = NULL;

	*rule_id = 0;
	if (!rules_on || !rec->ip_ver)
		return XW_ACT_PASS;
	/* Source-keyed rules first, destination-keyed only if none applies. */
	for (int pass = 0; pass < 2 && !hit; pass++)
		for (size_t i = 0; i < ARRAY_SIZE(orules) && !hit; i++) {
			const struct orule *o = &orules[i];

			if (o->dst != pass || o->p.family != fam)
				continue;
			if (in_prefix(&o->p, fam, o->dst ? rec->daddr : rec->saddr) &&
			    l4_ok(&o->r, rec))
				hit = o;
		}
	if (!hit)
		return XW_ACT_PASS;
	*rule_id = hit->r.rule_id;
	for (size_t i = 0; i < ARRAY_SIZE(allows); i++) {
		struct xw_prefix a;

		assert_int_equal(xw_prefix_parse(allows[i], &a, NULL, 0), 0);
		if (a.family == fam && in_prefix(&a, fam, rec->saddr))
			return XW_ACT_ALLOW;
	}
	return hit->r.action == XW_RULE_MONITOR ? XW_ACT_MONITOR : XW_ACT_DROP;
}

static void rules_install(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(orules); i++) {
		struct orule *o = &orules[i];

		assert_int_equal(xw_prefix_parse(o->prefix, &o->p, NULL, 0), 0);
		o->r.expires_ns = xwt_live();
		if (o->dst)
			xwt_dst_add(env, o->prefix, NULL, &o->r);
		else
			xwt_deny_add(env, o->prefix, &o->r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(allows); i++)
		xwt_allow_add(env, allows[i]);
}

/* ---- checks ----------------------------------------------------------- */

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void check_frame(const struct frame *f, uint64_t index, uint32_t ret,
			const struct xw_record *r)
{
	size_t alen = r->ip_ver == 4 ? 4 : 16;
	uint32_t want_id;
	uint8_t want;

	if (ret != XDP_PASS && ret != XDP_DROP) {
		frame_fail(f, index, "returned %d (%s)", (int)ret,
			   ret & 0x80000000u ? "test_run failed" :
			   ret == XDP_ABORTED ? "XDP_ABORTED" : "not pass/drop");
		return;
	}
	if (r->pkt_len != f->len || r->sample_rate != 1 ||
	    r->action >= XW_ACT_COUNT || r->tunnel >= XW_TUN_COUNT ||
	    r->vlan_count > XW_MAX_VLAN_TAGS) {
		frame_fail(f, index, "record out of range: pkt_len %u action %u tunnel %u vlans %u",
			   r->pkt_len, r->action, r->tunnel, r->vlan_count);
		return;
	}
	if ((ret == XDP_DROP) != (r->action == XW_ACT_DROP)) {
		frame_fail(f, index, "XDP verdict %u but record action %s", ret,
			   xw_action_name(r->action));
		return;
	}
	if (r->ip_ver != 0 && r->ip_ver != 4 && r->ip_ver != 6) {
		frame_fail(f, index, "ip_ver %u", r->ip_ver);
		return;
	}
	if (!r->ip_ver) {
		if (!zero(r->saddr, 16) || !zero(r->daddr, 16) ||
		    (r->flags & XW_REC_L4_VALID) || r->tunnel) {
			frame_fail(f, index, "no L3, yet addresses, L4 or tunnel in the record");
			return;
		}
	} else {
		if (!zero(r->saddr + alen, 16 - alen) ||
		    !zero(r->daddr + alen, 16 - alen)) {
			frame_fail(f, index, "IPv4 record with bytes past the address");
			return;
		}
		/* The parser copies addresses; it never makes one up. */
		if (!memmem(f->buf, f->len, r->saddr, alen) ||
		    !memmem(f->buf, f->len, r->daddr, alen)) {
			frame_fail(f, index, "record address not in the frame");
			return;
		}
	}
	if ((r->flags & XW_REC_L4_VALID) &&
	    ((r->frag & XW_FRAG_LATER) ||
	     (r->l4_proto != 6 && r->l4_proto != 17 && r->l4_proto != 1 &&
	      r->l4_proto != 58))) {
		frame_fail(f, index, "L4 fields for protocol %u, frag 0x%x",
			   r->l4_proto, r->frag);
		return;
	}
	seen.frames++;
	seen.malformed += !!(r->flags & XW_REC_PARSE_ERROR);
	seen.l4 += !!(r->flags & XW_REC_L4_VALID);
	seen.decap += r->tunnel != XW_TUN_NONE;
	seen.payload_only += f->payload_only;
	seen.action[r->action]++;
	want = oracle(r, &want_id);
	if (r->action != want || r->rule_id != want_id) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		inet_ntop(r->ip_ver == 4 ? AF_INET : AF_INET6, r->saddr, s,
			  sizeof(s));
		inet_ntop(r->ip_ver == 4 ? AF_INET : AF_INET6, r->daddr, d,
			  sizeof(d));
		frame_fail(f, index, "%s -> %s proto %u ports %u/%u l4 %s: action %s rule %u, the rules say %s rule %u",
			   r->ip_ver ? s : "-", r->ip_ver ? d : "-",
			   r->l4_proto, r->sport, r->dport,
			   r->flags & XW_REC_L4_VALID ? "valid" : "not read",
			   xw_action_name(r->action), r->rule_id,
			   xw_action_name(want), want_id);
		return;
	}
	if (f->payload_only) {
		const struct seed *s = &seeds[f->seed];

		if (!rec_same(r, &s->rec))
			frame_fail(f, index, "payload after byte %u changed the record (ip_ver %u proto %u flags 0x%x, fixture: ip_ver %u proto %u flags 0x%x)",
				   s->hdr_end, r->ip_ver, r->l4_proto, r->flags,
				   s->rec.ip_ver, s->rec.l4_proto,
				   s->rec.flags);
	}
}

/* Counter deltas of one batch against its records. */
static void check_batch(const struct counters *a, const struct counters *b,
			const struct frame *frames, unsigned int n,
			uint64_t first)
{
	uint64_t slot_recs[XW_TRAFFIC_SLOTS] = { 0 }, pkts = 0, bytes = 0;
	uint64_t want_bytes = 0, errs = 0, flagged = 0, decap = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct xw_record *r = &env->recs[i];

		slot_recs[xwt_slot_of(r)]++;
		want_bytes += frames[i].len;
		flagged += !!(r->flags & XW_REC_PARSE_ERROR);
		decap += r->tunnel != XW_TUN_NONE;
	}
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		uint64_t d = b->traffic[i].packets - a->traffic[i].packets;

		pkts += d;
		bytes += b->traffic[i].bytes - a->traffic[i].bytes;
		if (d != slot_recs[i]) {
			print_error("bpf fuzz: frames %llu..%llu: traffic slot %u moved %llu, its records say %llu\n",
				    (unsigned long long)first,
				    (unsigned long long)(first + n - 1), i,
				    (unsigned long long)d,
				    (unsigned long long)slot_recs[i]);
			failures++;
		}
	}
	for (int e = XW_EV_NONE + 1; e < XW_EV_PARSE_ERROR_END; e++)
		errs += b->events[e] - a->events[e];
	if (pkts != n || bytes != want_bytes || errs != flagged ||
	    b->events[XW_EV_TUNNEL_DECAP] - a->events[XW_EV_TUNNEL_DECAP] != decap ||
	    b->events[XW_EV_RECORD_SAMPLED] - a->events[XW_EV_RECORD_SAMPLED] != n ||
	    b->events[XW_EV_RECORD_LOST_RINGBUF_FULL] !=
		    a->events[XW_EV_RECORD_LOST_RINGBUF_FULL]) {
		print_error("bpf fuzz: frames %llu..%llu: counted %llu packets (%llu bytes), ran %u (%llu bytes); %llu parse errors for %llu flagged records; %llu decaps for %llu tunnel records\n",
			    (unsigned long long)first,
			    (unsigned long long)(first + n - 1),
			    (unsigned long long)pkts, (unsigned long long)bytes,
			    n, (unsigned long long)want_bytes,
			    (unsigned long long)errs,
			    (unsigned long long)flagged,
			    (unsigned long long)(b->events[XW_EV_TUNNEL_DECAP] -
						 a->events[XW_EV_TUNNEL_DECAP]),
			    (unsigned long long)decap);
		failures++;
	}
}

static void fuzz_phase(uint64_t count)
{
	static struct frame frames[BATCH];
	struct counters before, after;
	uint64_t done = 0;

	memset(&seen, 0, sizeof(seen));

	while (done < count && failures < FAIL_MAX) {
		unsigned int n = count - done < BATCH ? (unsigned int)(count - done) :
							BATCH;
		uint32_t rets[BATCH];

		drain_reset();
		counters_read(&before);
		for (unsigned int i = 0; i < n; i++) {
			if (below(4))
				frame_mutate(&frames[i]);
			else
				frame_random(&frames[i]);
			rets[i] = run_one(frames[i].buf, frames[i].len);
		}
		counters_read(&after);
		ring_buffer__consume(env->rb);
		if (env->nrec != n || env->bad_size) {
			print_error("bpf fuzz: frames %llu..: %u records for %u frames\n",
				    (unsigned long long)done, env->nrec, n);
			failures++;
			break;
		}
		for (unsigned int i = 0; i < n && failures < FAIL_MAX; i++)
			check_frame(&frames[i], done + i, rets[i], &env->recs[i]);
		check_batch(&before, &after, frames, n, done);
		done += n;
	}
	fprintf(stderr, "bpf fuzz: %s: %llu frames, %llu malformed, %llu with L4, %llu from tunnels, %llu payload-only; pass %llu drop %llu monitor %llu allow %llu\n",
		rules_on ? "rules" : "no rules", (unsigned long long)seen.frames,
		(unsigned long long)seen.malformed, (unsigned long long)seen.l4,
		(unsigned long long)seen.decap,
		(unsigned long long)seen.payload_only,
		(unsigned long long)seen.action[XW_ACT_PASS],
		(unsigned long long)seen.action[XW_ACT_DROP],
		(unsigned long long)seen.action[XW_ACT_MONITOR],
		(unsigned long long)seen.action[XW_ACT_ALLOW]);
}

static void test_fuzz_frames(void **state)
{
	uint64_t seed = env_u64("XW_BPF_FUZZ_SEED", FUZZ_SEED_DEFAULT);
	uint64_t count = env_u64("XW_BPF_FUZZ_COUNT", FUZZ_COUNT_DEFAULT);

	fprintf(stderr, "bpf fuzz: XW_BPF_FUZZ_SEED=0x%llx XW_BPF_FUZZ_COUNT=%llu (per phase)\n",
		(unsigned long long)seed, (unsigned long long)count);
	rng = seed ? seed : 1;
	failures = 0;
	seeds_load();

	rules_on = false;
	fuzz_phase(count);
	if (!failures) {
		rules_install();
		rules_on = true;
		seeds_load(); /* the fixtures' records now name their rules */
		fuzz_phase(count);
	}
	if (failures)
		fail_msg("bpf fuzz: %u invariant(s) broken; rerun with XW_BPF_FUZZ_SEED=0x%llx",
			 failures, (unsigned long long)seed);
}

static int group_setup(void **state)
{
	return xwt_env__open(&env);
}

static int group_teardown(void **state)
{
	xwt_env__close(env);
	return 0;
}

int xwt_group_fuzz(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_frames),
	};

	return cmocka_run_group_tests_name("fuzz", tests, group_setup,
					   group_teardown);
}
