// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_textparse.c - prefixes, durations, bounded integers and TCP flags
 * as operators type them (common/textparse.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "testhelp.h"
#include "textparse.h"

/* Parse text that must be accepted; return it formatted back. */
static const char *parse_ok(const char *text, struct xw_prefix *p, char *buf,
			    size_t len)
{
	char err[256] = "";
	int ret = xw_prefix_parse(text, p, err, sizeof(err));

	if (ret)
		fail_msg("'%s' refused: %s", text, err);
	return xw_prefix_format(p, buf, len);
}

static void parse_bad(const char *text, const char *why)
{
	struct xw_prefix p;
	char err[256] = "";

	assert_int_equal(xw_prefix_parse(text, &p, err, sizeof(err)), -EINVAL);
	assert_true(err[0] != '\0');
	if (why)
		assert_contains(err, why);
}

static void test_prefix_v4(void **state)
{
	struct xw_prefix p;
	char buf[XW_PREFIX_STRLEN];

	assert_string_equal(parse_ok("192.0.2.0/24", &p, buf, sizeof(buf)),
			    "192.0.2.0/24");
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_int_equal(p.addr[0], 192);
	assert_int_equal(p.addr[1], 0);
	assert_int_equal(p.addr[2], 2);
	assert_int_equal(p.addr[3], 0);
	for (int i = 4; i < 16; i++)
		assert_int_equal(p.addr[i], 0);

	assert_string_equal(parse_ok("0.0.0.0/0", &p, buf, sizeof(buf)),
			    "0.0.0.0/0");
	assert_true(xw_prefix_is_all(&p));
	assert_string_equal(parse_ok("10.1.2.3/32", &p, buf, sizeof(buf)),
			    "10.1.2.3/32");
	assert_false(xw_prefix_is_all(&p));
}

static void test_prefix_v6(void **state)
{
	struct xw_prefix p;
	char buf[XW_PREFIX_STRLEN];

	assert_string_equal(parse_ok("2001:db8::/32", &p, buf, sizeof(buf)),
			    "2001:db8::/32");
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr[0], 0x20);
	assert_int_equal(p.addr[1], 0x01);
	assert_int_equal(p.addr[2], 0x0d);
	assert_int_equal(p.addr[3], 0xb8);

	assert_string_equal(parse_ok("::/0", &p, buf, sizeof(buf)), "::/0");
	assert_true(xw_prefix_is_all(&p));
	/* Non-canonical text comes back canonical. */
	assert_string_equal(parse_ok("2001:DB8:0:0:0:0:0:1/128", &p, buf,
				     sizeof(buf)),
			    "2001:db8::1/128");
	/* The longest textual v6 form still fits. */
	assert_string_equal(
		parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
			 &p, buf, sizeof(buf)),
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

static void test_prefix_bare_address(void **state)
{
	struct xw_prefix p;
	char buf[XW_PREFIX_STRLEN];

	assert_string_equal(parse_ok("192.0.2.1", &p, buf, sizeof(buf)),
			    "192.0.2.1/32");
	assert_int_equal(p.len, 32);
	assert_string_equal(parse_ok("2001:db8::1", &p, buf, sizeof(buf)),
			    "2001:db8::1/128");
	assert_int_equal(p.len, 128);
}

static void test_prefix_host_bits(void **state)
{
	parse_bad("192.0.2.1/24", "did you mean 192.0.2.0/24?");
	parse_bad("10.255.0.0/8", "did you mean 10.0.0.0/8?");
	parse_bad("192.0.2.1/0", "did you mean 0.0.0.0/0?");
	parse_bad("2001:db8::1/64", "did you mean 2001:db8::/64?");
	parse_bad("2001:db8:ffff::/33", "did you mean 2001:db8:8000::/33?");
	parse_bad("192.0.2.1/24", "host bits set");
}

static void test_prefix_bad_length(void **state)
{
	parse_bad("192.0.2.0/33", "0..32");
	parse_bad("2001:db8::/129", "0..128");
	parse_bad("192.0.2.0/-1", NULL);
	parse_bad("192.0.2.0/abc", NULL);
	parse_bad("192.0.2.0/", NULL);
	parse_bad("192.0.2.0/+8", NULL);
	parse_bad("192.0.2.0/8/8", NULL);
	parse_bad("192.0.2.0/24x", NULL);
	parse_bad("192.0.2.0/ 24", NULL);
	parse_bad("192.0.2.0/99999999999999999999999", NULL);
}

static void test_prefix_garbage(void **state)
{
	struct xw_prefix p;

	parse_bad("", "empty");
	parse_bad("banana", "not an IP address");
	parse_bad("192.0.2", NULL);
	parse_bad("192.0.2.256", NULL);
	parse_bad("/24", NULL);
	parse_bad(" 192.0.2.0/24", NULL);
	parse_bad("2001:db8:::1", NULL);
	parse_bad("fe80::1%eth0", NULL);
	/* Longer than any address: refused, not overflowed. */
	parse_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb/64",
		  NULL);
	/* NULL err is allowed. */
	assert_int_equal(xw_prefix_parse("nope", &p, NULL, 0), -EINVAL);
	assert_int_equal(xw_prefix_parse(NULL, &p, NULL, 0), -EINVAL);
}

static void test_prefix_round_trip(void **state)
{
	static const char *const texts[] = {
		"0.0.0.0/0",	"10.0.0.0/8",	   "172.16.0.0/12",
		"192.0.2.128/25", "198.51.100.7/32", "::/0",
		"2001:db8::/32", "2001:db8:1:2::/64", "fe80::/10",
		"::1/128",	"::ffff:192.0.2.1/128",
	};
	struct xw_prefix a, b;
	char buf1[XW_PREFIX_STRLEN], buf2[XW_PREFIX_STRLEN];

	for (size_t i = 0; i < XW_ARRAY_SIZE(texts); i++) {
		parse_ok(texts[i], &a, buf1, sizeof(buf1));
		assert_string_equal(buf1, texts[i]);
		parse_ok(buf1, &b, buf2, sizeof(buf2));
		assert_string_equal(buf1, buf2);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_prefix_format_small_buffer(void **state)
{
	struct xw_prefix p;
	char buf[XW_PREFIX_STRLEN], tiny[6];

	parse_ok("192.0.2.0/24", &p, buf, sizeof(buf));
	memset(tiny, 'X', sizeof(tiny));
	xw_prefix_format(&p, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1); /* truncated, ended */
}

static void test_prefix_contains(void **state)
{
	struct xw_prefix p8, p24, p32, other24, all4, all6, v6_32, v6_64;
	char buf[XW_PREFIX_STRLEN];

	parse_ok("10.0.0.0/8", &p8, buf, sizeof(buf));
	parse_ok("10.1.2.0/24", &p24, buf, sizeof(buf));
	parse_ok("10.1.2.3", &p32, buf, sizeof(buf));
	parse_ok("11.1.2.0/24", &other24, buf, sizeof(buf));
	parse_ok("0.0.0.0/0", &all4, buf, sizeof(buf));
	parse_ok("::/0", &all6, buf, sizeof(buf));
	parse_ok("2001:db8::/32", &v6_32, buf, sizeof(buf));
	parse_ok("2001:db8:1::/64", &v6_64, buf, sizeof(buf));

	assert_true(xw_prefix_contains(&p8, &p24));
	assert_true(xw_prefix_contains(&p8, &p32));
	assert_true(xw_prefix_contains(&p24, &p32));
	assert_true(xw_prefix_contains(&p24, &p24)); /* equal */
	assert_true(xw_prefix_contains(&all4, &p32));
	assert_true(xw_prefix_contains(&v6_32, &v6_64));
	assert_true(xw_prefix_contains(&all6, &v6_64));

	/* Longer never contains shorter. */
	assert_false(xw_prefix_contains(&p24, &p8));
	assert_false(xw_prefix_contains(&p32, &p24));
	assert_false(xw_prefix_contains(&v6_64, &v6_32));
	/* Same length, different network; different network under /8. */
	assert_false(xw_prefix_contains(&p24, &other24));
	assert_false(xw_prefix_contains(&p8, &other24));
	/* Different family, even for the all-prefixes. */
	assert_false(xw_prefix_contains(&all4, &v6_64));
	assert_false(xw_prefix_contains(&all6, &p32));
	assert_false(xw_prefix_contains(&all6, &all4));
}

static void test_prefix_contains_odd_lengths(void **state)
{
	struct xw_prefix outer, in, out;
	char buf[XW_PREFIX_STRLEN];

	/* A length that is not a multiple of 8 compares part of a byte. */
	parse_ok("192.0.2.128/25", &outer, buf, sizeof(buf));
	parse_ok("192.0.2.200", &in, buf, sizeof(buf));
	parse_ok("192.0.2.127", &out, buf, sizeof(buf));
	assert_true(xw_prefix_contains(&outer, &in));
	assert_false(xw_prefix_contains(&outer, &out));
}

static void duration_ok(const char *text, uint64_t want)
{
	uint64_t s = 12345;
	char err[256] = "";

	if (xw_duration_parse(text, &s, err, sizeof(err)))
		fail_msg("'%s' refused: %s", text, err);
	assert_int_equal(s, want);
}

static void duration_bad(const char *text, const char *why)
{
	uint64_t s = 12345;
	char err[256] = "";

	assert_int_equal(xw_duration_parse(text, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(s, 12345); /* untouched on error */
	assert_true(err[0] != '\0');
	if (why)
		assert_contains(err, why);
}

static void test_duration(void **state)
{
	duration_ok("30", 30);
	duration_ok("0", 0);
	duration_ok("90s", 90);
	duration_ok("5m", 300);
	duration_ok("2h", 7200);
	duration_ok("1d", 86400);
	duration_ok("7d", 7 * 86400);
}

static void test_duration_bad(void **state)
{
	duration_bad("", "not a duration");
	duration_bad("s", "not a duration");
	duration_bad("5x", "not a duration");
	duration_bad("5ms", "not a duration");
	duration_bad("5 m", "not a duration");
	duration_bad("5M", "not a duration");
	duration_bad("1.5h", "not a duration");
	duration_bad("-5", "not a duration");
	duration_bad("+5", "not a duration");
	duration_bad(" 5", "not a duration");
	duration_bad("abc", "not a duration");
	assert_int_equal(xw_duration_parse(NULL, &(uint64_t){ 0 }, NULL, 0),
			 -EINVAL);
}

static void test_duration_overflow(void **state)
{
	/* Past what strtoull holds. */
	duration_bad("99999999999999999999999", "too large");
	/* Fits in 64 bits as seconds but not once multiplied. */
	duration_bad("18446744073709551615d", "too large");
	duration_bad("9999999999999999h", "too large");
	/*
	 * The limit is what still fits in nanoseconds (callers turn the
	 * seconds into a CLOCK_BOOTTIME deadline).
	 */
	duration_ok("18446744073", 18446744073ULL);
	duration_bad("18446744074", "too large");
	duration_bad("213504d", "too large");
}

static void test_uint(void **state)
{
	uint64_t v = 7;
	char err[256] = "";

	assert_int_equal(xw_uint_parse("0", 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xw_uint_parse("10", 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 10);
	assert_int_equal(xw_uint_parse("1", 1, 1, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(xw_uint_parse("18446744073709551615", 0, UINT64_MAX,
				       &v, err, sizeof(err)),
			 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(xw_uint_parse("007", 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 7); /* decimal, never octal */
}

static void uint_bad(const char *text, uint64_t min, uint64_t max,
		     const char *why)
{
	uint64_t v = 4242;
	char err[256] = "";

	assert_int_equal(xw_uint_parse(text, min, max, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(v, 4242);
	if (why)
		assert_contains(err, why);
}

static void flags_ok(const char *text, uint8_t mask, uint8_t value,
		     const char *formatted)
{
	char err[256] = "", buf[XW_TCP_FLAGS_STRLEN];
	uint8_t m = 0, v = 0;

	if (xw_tcp_flags_parse(text, &m, &v, err, sizeof(err)))
		fail_msg("'%s': %s", text, err);
	if (m != mask || v != value)
		fail_msg("'%s': mask 0x%02x value 0x%02x, want 0x%02x 0x%02x",
			 text, m, v, mask, value);
	assert_string_equal(xw_tcp_flags_format(m, v, buf, sizeof(buf)),
			    formatted);
	/* What it prints reads back as the same qualifier. */
	assert_int_equal(xw_tcp_flags_parse(buf, &m, &v, err, sizeof(err)), 0);
	assert_int_equal(m, mask);
	assert_int_equal(v, value);
}

static void test_tcp_flags(void **state)
{
	flags_ok("syn", 0x12, 0x02, "syn,ack/syn");
	flags_ok("SYN", 0x12, 0x02, "syn,ack/syn");
	flags_ok("ack", 0x17, 0x10, "fin,syn,rst,ack/ack");
	flags_ok("rst", 0x04, 0x04, "rst/rst");
	flags_ok("syn,ack/syn", 0x12, 0x02, "syn,ack/syn");
	flags_ok("ack,syn/syn", 0x12, 0x02, "syn,ack/syn");
	flags_ok("syn,ack/syn,ack", 0x12, 0x12, "syn,ack/syn,ack");
	flags_ok("syn,ack/", 0x12, 0x00, "syn,ack/none");
	flags_ok("syn,ack/none", 0x12, 0x00, "syn,ack/none");
	flags_ok("fin,syn,rst,psh,ack,urg,ece,cwr/cwr", 0xff, 0x80,
		 "fin,syn,rst,psh,ack,urg,ece,cwr/cwr");
}

static void flags_bad(const char *text, const char *why_has)
{
	char err[256] = "";
	uint8_t m = 0x55, v = 0x55;

	assert_int_equal(xw_tcp_flags_parse(text, &m, &v, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, why_has))
		fail_msg("'%s': expected \"%s\" in \"%s\"", text, why_has, err);
	assert_int_equal(m, 0x55);
	assert_int_equal(v, 0x55);
}

static void test_tcp_flags_bad(void **state)
{
	char buf[8];

	flags_bad("", "no TCP flags");
	flags_bad("synack", "MASK/VALUE");
	flags_bad("syn/ack", "outside the mask");
	flags_bad("/syn", "empty mask");
	flags_bad("/", "empty mask");
	flags_bad("none/none", "empty mask");
	flags_bad("syn,,ack/syn", "not a TCP flag");
	flags_bad("syn,ack,/syn", "ends with a comma");
	flags_bad("syn,xyz/syn", "'xyz' is not a TCP flag");
	flags_bad("syn,ack/syn/ack", "not a TCP flag");
	flags_bad("0x12/0x02", "not a TCP flag");
	assert_int_equal(xw_tcp_flags_parse(NULL, &(uint8_t){ 0 },
					    &(uint8_t){ 0 }, NULL, 0),
			 -EINVAL);
	/* A short buffer is cut, never overrun, and stays a string. */
	xw_tcp_flags_format(0xff, 0xff, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void test_uint_bad(void **state)
{
	uint_bad("11", 0, 10, "11 is out of range [0, 10]");
	uint_bad("0", 1, 10, "0 is out of range [1, 10]");
	uint_bad("18446744073709551616", 0, UINT64_MAX, "not a number");
	uint_bad("", 0, 10, "not a number");
	uint_bad("-1", 0, UINT64_MAX, "not a number");
	uint_bad("+1", 0, 10, "not a number");
	uint_bad("1x", 0, 10, "not a number");
	uint_bad("0x10", 0, 100, "not a number");
	uint_bad("1 ", 0, 10, "not a number");
	/* strtoull skips blanks and then takes a sign: neither may sneak in. */
	uint_bad(" 1", 0, 10, "not a number");
	uint_bad(" -1", 0, UINT64_MAX, "not a number");
	uint_bad("\t+1", 0, UINT64_MAX, "not a number");
	assert_int_equal(xw_uint_parse(NULL, 0, 10, &(uint64_t){ 0 }, NULL, 0),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_prefix_v6),
		cmocka_unit_test(test_prefix_bare_address),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_prefix_bad_length),
		cmocka_unit_test(test_prefix_garbage),
		cmocka_unit_test(test_prefix_round_trip),
		cmocka_unit_test(test_prefix_format_small_buffer),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_prefix_contains_odd_lengths),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_uint_bad),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_tcp_flags_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
