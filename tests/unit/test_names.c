// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_names.c - every code in bpf/xdpwatch_shared.h has a printable name
 * (common/names.c). A code added to the header without a name fails here.
 */
#include <errno.h>

#include "names.h"
#include "testhelp.h"

typedef const char *(*name_fn)(unsigned int);

/* Every code in [first, count) named, not "unknown", unique; count itself not. */
static void check_kind(const char *kind, name_fn fn, unsigned int first,
		       unsigned int count)
{
	for (unsigned int i = first; i < count; i++) {
		const char *n = fn(i);

		assert_non_null(n);
		if (!*n || !strcmp(n, "unknown"))
			fail_msg("%s code %u has no name", kind, i);
		for (unsigned int j = first; j < i; j++)
			if (!strcmp(n, fn(j)))
				fail_msg("%s codes %u and %u are both \"%s\"", kind,
					 j, i, n);
	}
	assert_string_equal(fn(count), "unknown");
	assert_string_equal(fn(count + 1000), "unknown");
	assert_string_equal(fn(~0u), "unknown");
}

static void test_events(void **state)
{
	check_kind("event", xw_event_name, 1, XW_EV_COUNT);
	/* Spot checks that names sit on the right codes. */
	assert_string_equal(xw_event_name(XW_EV_ETH_TRUNC), "eth_truncated");
	assert_string_equal(xw_event_name(XW_EV_RECORD_LOST_RINGBUF_FULL),
			    "records_lost_ringbuf_full");
	assert_string_equal(xw_event_name(XW_EV_TUNNEL_DECAP),
			    "tunnel_decapsulated");
}

static void test_actions(void **state)
{
	check_kind("action", xw_action_name, 0, XW_ACT_COUNT);
	assert_string_equal(xw_action_name(XW_ACT_PASS), "pass");
	assert_string_equal(xw_action_name(XW_ACT_DROP), "drop");
	assert_string_equal(xw_action_name(XW_ACT_MONITOR), "monitor");
	assert_string_equal(xw_action_name(XW_ACT_ALLOW), "allow");
}

static void test_tunnels(void **state)
{
	check_kind("tunnel", xw_tunnel_name, 0, XW_TUN_COUNT);
	assert_string_equal(xw_tunnel_name(XW_TUN_NONE), "none");
	assert_string_equal(xw_tunnel_name(XW_TUN_VXLAN), "vxlan");
	assert_string_equal(xw_tunnel_name(XW_TUN_IPIP), "ipip");
}

static void test_l4_classes(void **state)
{
	check_kind("l4 class", xw_l4_class_name, 0, XW_L4_COUNT);
	assert_string_equal(xw_l4_class_name(XW_L4_TCP), "tcp");
	assert_string_equal(xw_l4_class_name(XW_L4_ICMPV6), "icmpv6");
}

static void test_ipver(void **state)
{
	check_kind("ip version", xw_ipver_name, 0, XW_IPVER_COUNT);
	assert_string_equal(xw_ipver_name(XW_IPVER_4), "ipv4");
	assert_string_equal(xw_ipver_name(XW_IPVER_6), "ipv6");
}

static void test_refusals(void **state)
{
	check_kind("refusal", xw_refusal_name, 0, XW_REFUSE_COUNT);
	assert_string_equal(xw_refusal_name(XW_REFUSE_BAD_SIGNATURE),
			    "bad_signature");
	assert_string_equal(xw_refusal_name(XW_REFUSE_COUNT), "unknown");
}

static void test_ipproto_name(void **state)
{
	assert_string_equal(xw_ipproto_name(1), "icmp");
	assert_string_equal(xw_ipproto_name(6), "tcp");
	assert_string_equal(xw_ipproto_name(17), "udp");
	assert_string_equal(xw_ipproto_name(58), "icmpv6");
	assert_null(xw_ipproto_name(0));
	assert_null(xw_ipproto_name(253));
	assert_null(xw_ipproto_name(256 + 6)); /* no truncation to a byte */
}

static void test_ipproto_parse(void **state)
{
	static const char *const names[] = { "icmp", "tcp", "udp", "gre",
					     "icmpv6", "sctp" };

	assert_int_equal(xw_ipproto_parse("tcp"), 6);
	assert_int_equal(xw_ipproto_parse("udp"), 17);
	assert_int_equal(xw_ipproto_parse("icmp"), 1);
	assert_int_equal(xw_ipproto_parse("icmpv6"), 58);
	assert_int_equal(xw_ipproto_parse("TCP"), 6);
	assert_int_equal(xw_ipproto_parse("Udp"), 17);
	assert_int_equal(xw_ipproto_parse("6"), 6);
	assert_int_equal(xw_ipproto_parse("17"), 17);
	assert_int_equal(xw_ipproto_parse("1"), 1);
	assert_int_equal(xw_ipproto_parse("255"), 255);
	/* Each known name parses to a number that maps back to it. */
	for (size_t i = 0; i < XW_ARRAY_SIZE(names); i++) {
		int p = xw_ipproto_parse(names[i]);

		assert_true(p > 0);
		assert_string_equal(xw_ipproto_name((unsigned int)p), names[i]);
	}
}

static void test_ipproto_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",   "0",   "256", "-6", "6x", "x6", "tcpx", "ftp",
		"1e1", "0x6", "99999999999999999999", "t c p",
	};

	for (size_t i = 0; i < XW_ARRAY_SIZE(bad); i++)
		if (xw_ipproto_parse(bad[i]) != -EINVAL)
			fail_msg("'%s' parsed as %d", bad[i],
				 xw_ipproto_parse(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_l4_classes),
		cmocka_unit_test(test_ipver),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ipproto_name),
		cmocka_unit_test(test_ipproto_parse),
		cmocka_unit_test(test_ipproto_parse_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
