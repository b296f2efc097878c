// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_rules_validate.c - xw_rule_spec_validate (common/rules.c): the checks
 * made before any rule reaches a map. Pure: no maps, no privileges.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "rules.h"
#include "testhelp.h"

static struct xw_rule_spec spec_for(const char *prefix)
{
	struct xw_rule_spec s = { .ttl_s = 300, .action = XW_RULE_DROP };
	char err[256] = "";

	if (xw_prefix_parse(prefix, &s.src, err, sizeof(err)))
		fail_msg("'%s': %s", prefix, err);
	return s;
}

static int validate(const struct xw_rule_spec *s,
		    const struct xw_rule_limits *l, char *err, size_t len)
{
	err[0] = '\0';
	return xw_rule_spec_validate(s, l, err, len);
}

static void test_plain_rules_accepted(void **state)
{
	struct xw_rule_spec s;
	char err[256];

	s = spec_for("192.0.2.0/24");
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s = spec_for("2001:db8::/48");
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s = spec_for("198.51.100.7");
	s.action = XW_RULE_MONITOR;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s.l4_proto = 6;
	s.dport = 443;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s.l4_proto = 17;
	s.sport = 53;
	s.dport = 0;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	/* Protocol without ports: any protocol number will do. */
	s.l4_proto = 1;
	s.sport = 0;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
}

static void test_all_prefix_needs_proto(void **state)
{
	struct xw_rule_spec s;
	char err[256];

	s = spec_for("0.0.0.0/0");
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EPERM);
	assert_contains(err, "0.0.0.0/0");
	assert_contains(err, "drop everything");
	s.action = XW_RULE_MONITOR; /* refused whatever the action */
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EPERM);

	s = spec_for("::/0");
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EPERM);
	assert_contains(err, "::/0");

	s = spec_for("0.0.0.0/0");
	s.l4_proto = 17;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s = spec_for("::/0");
	s.l4_proto = 17;
	s.dport = 123;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
}

static void test_no_prefix(void **state)
{
	struct xw_rule_spec s = { .ttl_s = 60, .l4_proto = 6 };
	char err[256];

	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "no source prefix");
}

static void test_ttl_zero(void **state)
{
	struct xw_rule_spec s = spec_for("192.0.2.0/24");
	char err[256];

	s.ttl_s = 0;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "TTL");
}

static void test_ttl_max_default(void **state)
{
	struct xw_rule_spec s = spec_for("192.0.2.0/24");
	struct xw_rule_limits zero = { 0 };
	char err[256];

	s.ttl_s = XW_RULE_MAX_TTL_DEFAULT;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	assert_int_equal(validate(&s, &zero, err, sizeof(err)), 0);
	s.ttl_s = XW_RULE_MAX_TTL_DEFAULT + 1;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -ERANGE);
	assert_contains(err, "604801s");
	assert_contains(err, "604800s");
	/* max_ttl_s 0 in the limits means the default, not "no maximum". */
	assert_int_equal(validate(&s, &zero, err, sizeof(err)), -ERANGE);
	s.ttl_s = UINT64_MAX;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -ERANGE);
}

static void test_ttl_max_limits(void **state)
{
	struct xw_rule_spec s = spec_for("2001:db8::/32");
	struct xw_rule_limits l = { .max_ttl_s = 3600 };
	char err[256];

	s.ttl_s = 3600;
	assert_int_equal(validate(&s, &l, err, sizeof(err)), 0);
	s.ttl_s = 3601;
	assert_int_equal(validate(&s, &l, err, sizeof(err)), -ERANGE);
	assert_contains(err, "3600s");
	/* A limit above the default is honoured too. */
	l.max_ttl_s = 30 * 86400;
	s.ttl_s = 10 * 86400;
	assert_int_equal(validate(&s, &l, err, sizeof(err)), 0);
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -ERANGE);
}

static void test_ports_need_tcp_or_udp(void **state)
{
	static const uint8_t protos[] = { 0, 1, 47, 58, 132 };
	struct xw_rule_spec s = spec_for("192.0.2.0/24");
	char err[256];

	for (size_t i = 0; i < XW_ARRAY_SIZE(protos); i++) {
		s.l4_proto = protos[i];
		s.sport = 0;
		s.dport = 80;
		assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
		assert_contains(err, "tcp or udp");
		s.sport = 1234;
		s.dport = 0;
		assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	}
}

/* TCP flags qualify TCP only, and a value outside its mask matches
 * nothing: both refused with a sentence. */
static void test_tcp_flags(void **state)
{
	struct xw_rule_spec s = spec_for("203.0.113.0/24");
	char err[256];

	s.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
	s.tcp_flags_value = XW_TCP_SYN;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "TCP flags need the protocol tcp"));
	s.l4_proto = 17;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "TCP flags need the protocol tcp"));
	s.l4_proto = 6;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
	s.tcp_flags_value = XW_TCP_SYN | XW_TCP_RST;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "outside its mask"));
	s.tcp_flags_mask = 0;
	s.tcp_flags_value = XW_TCP_SYN;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	/* SYNs from everywhere name a protocol: not "everything". */
	s = spec_for("0.0.0.0/0");
	s.l4_proto = 6;
	s.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
	s.tcp_flags_value = XW_TCP_SYN;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), 0);
}

static void test_bad_action(void **state)
{
	struct xw_rule_spec s = spec_for("192.0.2.0/24");
	char err[256];

	s.action = 2;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
	assert_contains(err, "action 2");
	s.action = 255;
	assert_int_equal(validate(&s, NULL, err, sizeof(err)), -EINVAL);
}

static void test_null_err(void **state)
{
	struct xw_rule_spec s = spec_for("0.0.0.0/0");

	assert_int_equal(xw_rule_spec_validate(&s, NULL, NULL, 0), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_rules_accepted),
		cmocka_unit_test(test_all_prefix_needs_proto),
		cmocka_unit_test(test_no_prefix),
		cmocka_unit_test(test_ttl_zero),
		cmocka_unit_test(test_ttl_max_default),
		cmocka_unit_test(test_ttl_max_limits),
		cmocka_unit_test(test_ports_need_tcp_or_udp),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_bad_action),
		cmocka_unit_test(test_null_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
