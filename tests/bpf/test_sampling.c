// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_sampling.c - the 1-in-N record sampling against the exact counters.
 * Counters must count every packet whatever the rate; records must come at
 * about 1 in N and carry N; a full ring buffer loses records, counted,
 * never packets. Runs use opts.repeat, so one test_run is many packets on
 * one CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "fixtures.h"
#include "xdpwatch.skel.h"

static struct xwt_env *env;

static size_t v4_udp(struct pktgen *b)
{
	pktgen__init(b);
	eth_ipv4(b, S4, D4);
	pktgen__udp(b, 1000, 2000);
	pktgen__payload(b, 20);
	return pktgen__finish(b);
}

static size_t v6_tcp(struct pktgen *b)
{
	pktgen__init(b);
	eth_ipv6(b, S6, D6);
	pktgen__tcp(b, &(struct pg_tcp){ .sport = 1, .dport = 2,
					 .flags = PG_TCP_ACK });
	return pktgen__finish(b);
}

static size_t arp(struct pktgen *b)
{
	pktgen__init(b);
	pktgen__eth(b);
	pktgen__arp(b);
	return pktgen__finish(b);
}

/* A parse error: IPv4 header cut. */
static size_t v4_cut(struct pktgen *b)
{
	v4_udp(b);
	return 14 + 10;
}

static const struct {
	const char *desc;
	size_t (*build)(struct pktgen *b);
	uint32_t slot;
	uint8_t event; /* parse error each packet counts, 0: none */
} pkts[] = {
	{ "ipv4 udp", v4_udp,
	  XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_UDP, XW_ACT_PASS), 0 },
	{ "ipv6 tcp", v6_tcp,
	  XW_TRAFFIC_IDX(XW_IPVER_6, XW_L4_TCP, XW_ACT_PASS), 0 },
	{ "arp", arp,
	  XW_TRAFFIC_IDX(XW_IPVER_NONE, XW_L4_OTHER, XW_ACT_PASS), 0 },
	{ "ipv4 cut", v4_cut,
	  XW_TRAFFIC_IDX(XW_IPVER_NONE, XW_L4_OTHER, XW_ACT_PASS),
	  XW_EV_IPV4_TRUNC },
};

/* Counters after `repeat` runs of one frame: exact, in one slot. */
static void check_counts_loss(const char *desc,
			      const struct xwt_result *res, uint32_t slot,
			      size_t len, uint64_t repeat, uint8_t event,
			      int allow_loss)
{
	if (res->err)
		fail_msg("%s: test_run failed: %d", desc, res->err);
	if (res->traffic[slot].packets != repeat ||
	    res->traffic[slot].bytes != repeat * len ||
	    xwt_traffic_packets(res) != repeat)
		fail_msg("%s: slot %u holds %llu/%llu of %llu traffic packets, "
			 "want %llu/%llu",
			 desc, slot,
			 (unsigned long long)res->traffic[slot].packets,
			 (unsigned long long)res->traffic[slot].bytes,
			 (unsigned long long)xwt_traffic_packets(res),
			 (unsigned long long)repeat,
			 (unsigned long long)(repeat * len));
	if (xwt_parse_errors(res) != (event ? repeat : 0) ||
	    (event && res->events[event] != repeat))
		fail_msg("%s: %llu parse errors", desc,
			 (unsigned long long)xwt_parse_errors(res));
	/* Whatever was sampled was queued: nothing lost. */
	if (res->events[XW_EV_RECORD_SAMPLED] != res->nrec ||
	    (!allow_loss && res->events[XW_EV_RECORD_LOST_RINGBUF_FULL]))
		fail_msg("%s: %llu sampled, %u drained, %llu lost", desc,
			 (unsigned long long)res->events[XW_EV_RECORD_SAMPLED],
			 res->nrec,
			 (unsigned long long)
				 res->events[XW_EV_RECORD_LOST_RINGBUF_FULL]);
}

static void check_counts(const char *desc, const struct xwt_result *res,
			 uint32_t slot, size_t len, uint64_t repeat,
			 uint8_t event)
{
	check_counts_loss(desc, res, slot, len, repeat, event, 0);
}

static void test_rate_zero(void **state)
{
	assert_int_equal(xwt_sample_rate(env, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++) {
		static const int repeats[] = { 1, 1000 };

		for (size_t r = 0; r < ARRAY_SIZE(repeats); r++) {
			struct xwt_result res;
			struct pktgen b;
			size_t len = pkts[i].build(&b);

			xwt_run(env, b.buf, len, repeats[r], &res);
			check_counts(pkts[i].desc, &res, pkts[i].slot, len,
				     repeats[r], pkts[i].event);
			if (res.nrec || res.events[XW_EV_RECORD_SAMPLED])
				fail_msg("%s: rate 0 gave %u records",
					 pkts[i].desc, res.nrec);
		}
	}
}

/* Rate 1 is every packet, no coin tossed. */
static void test_rate_one(void **state)
{
	struct xwt_result res;
	struct pktgen b;
	size_t len = v6_tcp(&b);

	assert_int_equal(xwt_sample_rate(env, 1), 0);
	xwt_run(env, b.buf, len, 300, &res);
	check_counts("rate 1", &res, pkts[1].slot, len, 300, 0);
	assert_int_equal(res.nrec, 300);
}

/*
 * 1 in 1000 over 100000 packets: about 100 records. Binomial with
 * sd ~10, so 40..250 fails only if the threshold is wrong, not by chance.
 */
static void test_rate_1000(void **state)
{
	const uint64_t n = 100000;
	struct xwt_result res;
	struct pktgen b;
	size_t len = v4_udp(&b);

	assert_int_equal(xwt_sample_rate(env, 1000), 0);
	xwt_run(env, b.buf, len, n, &res);
	check_counts("rate 1000", &res, pkts[0].slot, len, n, 0);
	print_message("rate 1000: %u records of %llu packets\n", res.nrec,
		      (unsigned long long)n);
	assert_in_range(res.nrec, 40, 250);
	for (unsigned int i = 0; i < res.nrec && i < XWT_MAX_RECS; i++) {
		const struct xw_record *r = &res.recs[i];

		assert_int_equal(r->sample_rate, 1000);
		assert_int_equal(r->sport, 1000);
		assert_int_equal(r->dport, 2000);
		assert_int_equal(r->pkt_len, len);
		assert_true(r->ts_ns >= res.t0 && r->ts_ns <= res.t1);
	}
}

/* A second rate, so a threshold off by a constant factor shows. */
static void test_rate_4(void **state)
{
	const uint64_t n = 20000;
	struct xwt_result res;
	struct pktgen b;
	size_t len = v6_tcp(&b);

	assert_int_equal(xwt_sample_rate(env, 4), 0);
	xwt_run(env, b.buf, len, n, &res);
	check_counts("rate 4", &res, pkts[1].slot, len, n, 0);
	print_message("rate 4: %u records of %llu packets\n", res.nrec,
		      (unsigned long long)n);
	/* mean 5000, sd ~61 */
	assert_in_range(res.nrec, 4500, 5500);
	assert_int_equal(res.recs[0].sample_rate, 4);
}

/*
 * More records than the ring holds, none drained during the run: every
 * packet still counted, every record either queued or counted as lost.
 */
static void test_ringbuf_full(void **state)
{
	size_t ring = bpf_map__max_entries(env->skel->maps.xw_records);
	/* a ring buffer record carries an 8-byte header */
	uint64_t fits = ring / (sizeof(struct xw_record) + 8);
	uint64_t n = fits + fits / 4;
	struct xwt_result res;
	struct pktgen b;
	size_t len = v4_udp(&b);

	assert_int_equal(xwt_sample_rate(env, 1), 0);
	xwt_run(env, b.buf, len, n, &res);
	check_counts_loss("ring full", &res, pkts[0].slot, len, n, 0, 1);
	assert_int_equal(res.events[XW_EV_RECORD_SAMPLED] +
				 res.events[XW_EV_RECORD_LOST_RINGBUF_FULL],
			 n);
	assert_in_range(res.events[XW_EV_RECORD_LOST_RINGBUF_FULL], 1,
			n - fits / 2);
	print_message("ring full: %llu queued, %llu lost of %llu\n",
		      (unsigned long long)res.events[XW_EV_RECORD_SAMPLED],
		      (unsigned long long)
			      res.events[XW_EV_RECORD_LOST_RINGBUF_FULL],
		      (unsigned long long)n);
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

int xwt_group_sampling(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_zero),
		cmocka_unit_test(test_rate_one),
		cmocka_unit_test(test_rate_1000),
		cmocka_unit_test(test_rate_4),
		cmocka_unit_test(test_ringbuf_full),
	};

	return cmocka_run_group_tests_name("sampling", tests, group_setup,
					   group_teardown);
}
