// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_record_json.c - one xw_record as one JSON line (common/record_json.c).
 *
 * Lines are checked two ways: a small validator for the flat object the
 * collector writes (every key once, every value a number, string, true or
 * false, one '\n' at the end), and exact "key":value fields.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "record_json.h"
#include "testhelp.h"

#define MAX_KEYS 64

/* A JSON string at *p; its raw text (without quotes) in key. NULL if bad. */
static const char *json_string(const char *p, char *key, size_t keylen)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (!*p || (unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		if (n + 1 < keylen)
			key[n++] = *p;
	}
	key[n] = '\0';
	return p + 1;
}

/* Validate one flat JSON object line; on failure say why in why. */
static bool json_line_ok(const char *line, int len, char *why, size_t whylen)
{
	char keys[MAX_KEYS][48], scratch[256];
	const char *p = line;
	int nkeys = 0;

	if (len != (int)strlen(line))
		return snprintf(why, whylen, "length %d, strlen %zu", len,
				strlen(line)),
		       false;
	if (len < 3 || line[len - 1] != '\n' || line[len - 2] != '}')
		return snprintf(why, whylen, "does not end in }\\n"), false;
	if (strchr(line, '\n') != line + len - 1)
		return snprintf(why, whylen, "more than one newline"), false;
	if (*p++ != '{')
		return snprintf(why, whylen, "does not start with {"), false;
	for (;;) {
		p = json_string(p, keys[nkeys], sizeof(keys[0]));
		if (!p || *p++ != ':')
			return snprintf(why, whylen, "bad key near %d", nkeys),
			       false;
		for (int i = 0; i < nkeys; i++)
			if (!strcmp(keys[i], keys[nkeys]))
				return snprintf(why, whylen, "duplicate key %.47s",
						keys[i]),
				       false;
		if (*p == '"') {
			p = json_string(p, scratch, sizeof(scratch));
		} else if (!strncmp(p, "true", 4)) {
			p += 4;
		} else if (!strncmp(p, "false", 5)) {
			p += 5;
		} else if (*p == '-' || isdigit((unsigned char)*p)) {
			p += *p == '-';
			if (!isdigit((unsigned char)*p) ||
			    (*p == '0' && isdigit((unsigned char)p[1])))
				p = NULL;
			else
				while (isdigit((unsigned char)*p))
					p++;
		} else {
			p = NULL;
		}
		if (!p)
			return snprintf(why, whylen, "bad value of %.47s",
					keys[nkeys]),
			       false;
		if (++nkeys == MAX_KEYS)
			return snprintf(why, whylen, "too many keys"), false;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return snprintf(why, whylen, "no comma after %.47s",
					keys[nkeys - 1]),
			       false;
	}
	if (strcmp(p, "}\n"))
		return snprintf(why, whylen, "trailing text '%s'", p), false;
	return true;
}

/* Format rec, check the line is valid, return it in a static buffer. */
static const char *format(const struct xw_record *rec, int64_t off,
			  const char *ifname)
{
	static char buf[XW_RECORD_JSON_MAX];
	char why[128];
	int n;

	memset(buf, 0x55, sizeof(buf));
	n = xw_record_json(rec, off, ifname, buf, sizeof(buf));
	if (n < 0)
		fail_msg("xw_record_json: %d", n);
	if (!json_line_ok(buf, n, why, sizeof(why)))
		fail_msg("invalid line (%s): %s", why, buf);
	return buf;
}

static void addr4(uint8_t *a, const char *text)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, text, a), 1);
}

static void addr6(uint8_t *a, const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, a), 1);
}

static void test_v4_tcp(void **state)
{
	struct xw_record r = {
		.ts_ns = 5000000000ULL,
		.ifindex = 3,
		.rule_id = 0,
		.sample_rate = 1000,
		.pkt_len = 74,
		.rx_queue = 2,
		.sport = 443,
		.dport = 51234,
		.ip_len = 60,
		.l4_payload_len = 0,
		.tcp_window = 64240,
		.ip_ver = 4,
		.l4_proto = 6,
		.tcp_flags = 0x12,
		.ttl = 64,
		.tos = 0x10,
		.frag = XW_FRAG_DF,
		.action = XW_ACT_PASS,
		.tunnel = XW_TUN_NONE,
		.flags = XW_REC_L4_VALID,
	};
	const char *l;

	addr4(r.saddr, "192.0.2.1");
	addr4(r.daddr, "198.51.100.20");
	l = format(&r, 0, "eth0");
	assert_contains(l, "{\"ts_ns\":5000000000,");
	assert_contains(l, "\"ifname\":\"eth0\"");
	assert_contains(l, "\"ifindex\":3,");
	assert_contains(l, "\"rx_queue\":2,");
	assert_contains(l, "\"ip_version\":4,");
	assert_contains(l, "\"src\":\"192.0.2.1\"");
	assert_contains(l, "\"dst\":\"198.51.100.20\"");
	assert_contains(l, "\"l4_proto\":6,");
	assert_contains(l, "\"l4_proto_name\":\"tcp\"");
	assert_contains(l, "\"sport\":443,");
	assert_contains(l, "\"dport\":51234,");
	assert_contains(l, "\"tcp_flags\":18,");
	assert_contains(l, "\"tcp_window\":64240,");
	assert_contains(l, "\"ttl\":64,");
	assert_contains(l, "\"tos\":16,");
	assert_contains(l, "\"ip_len\":60,");
	assert_contains(l, "\"l4_payload_len\":0,");
	assert_contains(l, "\"pkt_len\":74,");
	assert_contains(l, "\"frag\":1,");
	assert_contains(l, "\"vlan_id\":0,");
	assert_contains(l, "\"vlan_count\":0,");
	assert_contains(l, "\"tunnel\":\"none\"");
	assert_contains(l, "\"action\":\"pass\"");
	assert_contains(l, "\"rule_id\":0,");
	assert_contains(l, "\"sample_rate\":1000,");
	assert_contains(l, "\"parse_error\":false}\n");
	assert_not_contains(l, "icmp_type");
}

static void test_v6_udp(void **state)
{
	struct xw_record r = {
		.ts_ns = 1,
		.ifindex = 7,
		.rule_id = 42,
		.sample_rate = 1,
		.pkt_len = 1514,
		.sport = 53,
		.dport = 33000,
		.ip_len = 1500,
		.l4_payload_len = 1452,
		.ip_ver = 6,
		.l4_proto = 17,
		.ttl = 255,
		.action = XW_ACT_DROP,
		.tunnel = XW_TUN_VXLAN,
		.vlan_id = 100,
		.vlan_count = 2,
		.flags = XW_REC_L4_VALID,
	};
	const char *l;

	addr6(r.saddr, "2001:db8::1");
	addr6(r.daddr, "2001:db8:ffff::53");
	l = format(&r, 0, "ens1f0");
	assert_contains(l, "\"ip_version\":6,");
	assert_contains(l, "\"src\":\"2001:db8::1\"");
	assert_contains(l, "\"dst\":\"2001:db8:ffff::53\"");
	assert_contains(l, "\"l4_proto\":17,");
	assert_contains(l, "\"l4_proto_name\":\"udp\"");
	assert_contains(l, "\"sport\":53,");
	assert_contains(l, "\"dport\":33000,");
	assert_contains(l, "\"l4_payload_len\":1452,");
	assert_contains(l, "\"vlan_id\":100,");
	assert_contains(l, "\"vlan_count\":2,");
	assert_contains(l, "\"tunnel\":\"vxlan\"");
	assert_contains(l, "\"action\":\"drop\"");
	assert_contains(l, "\"rule_id\":42,");
	assert_contains(l, "\"ttl\":255,");
}

static void test_icmp(void **state)
{
	struct xw_record r = {
		.ip_ver = 4,
		.l4_proto = 1,
		.sport = 8, /* echo request */
		.dport = 0,
		.tcp_flags = 0x3f, /* must not leak into an ICMP line */
		.action = XW_ACT_MONITOR,
		.flags = XW_REC_L4_VALID,
	};
	const char *l;

	addr4(r.saddr, "203.0.113.9");
	addr4(r.daddr, "192.0.2.1");
	l = format(&r, 0, "eth0");
	assert_contains(l, "\"l4_proto_name\":\"icmp\"");
	assert_contains(l, "\"icmp_type\":8,");
	assert_contains(l, "\"icmp_code\":0,");
	assert_contains(l, "\"action\":\"monitor\"");
	assert_not_contains(l, "sport");
	assert_not_contains(l, "dport");
	assert_not_contains(l, "tcp_flags");
	assert_not_contains(l, "tcp_window");

	/* ICMPv6 too: type 135 neighbour solicitation. */
	r.ip_ver = 6;
	r.l4_proto = 58;
	r.sport = 135;
	addr6(r.saddr, "fe80::1");
	addr6(r.daddr, "ff02::1:ff00:2");
	l = format(&r, 0, "eth0");
	assert_contains(l, "\"src\":\"fe80::1\"");
	assert_contains(l, "\"l4_proto_name\":\"icmpv6\"");
	assert_contains(l, "\"icmp_type\":135,");
	assert_not_contains(l, "sport");
}

static void test_non_ip(void **state)
{
	struct xw_record r = {
		.ts_ns = 10,
		.pkt_len = 60,
		.ip_ver = 0,
		.action = XW_ACT_PASS,
	};
	const char *l;

	/* Garbage in the address bytes must not be printed as an address. */
	memset(r.saddr, 0xab, sizeof(r.saddr));
	l = format(&r, 0, "eth0");
	assert_contains(l, "\"ip_version\":0,");
	assert_contains(l, "\"src\":\"\"");
	assert_contains(l, "\"dst\":\"\"");
	assert_contains(l, "\"l4_proto\":0,");
	assert_contains(l, "\"l4_proto_name\":\"other\"");
	assert_contains(l, "\"pkt_len\":60,");
	assert_not_contains(l, "sport");
	assert_not_contains(l, "icmp_type");
	assert_contains(l, "\"parse_error\":false}");
}

static void test_parse_error(void **state)
{
	struct xw_record r = {
		.ip_ver = 4,
		.l4_proto = 6,
		.flags = XW_REC_PARSE_ERROR, /* TCP header cut: no L4 fields */
	};
	const char *l;

	addr4(r.saddr, "192.0.2.1");
	addr4(r.daddr, "192.0.2.2");
	l = format(&r, 0, NULL);
	assert_contains(l, "\"ifname\":\"\"");
	assert_contains(l, "\"l4_proto_name\":\"tcp\"");
	assert_not_contains(l, "sport");
	assert_not_contains(l, "tcp_flags");
	assert_contains(l, "\"parse_error\":true}\n");

	r.flags |= XW_REC_L4_VALID;
	l = format(&r, 0, "eth0");
	assert_contains(l, "\"sport\":0,");
	assert_contains(l, "\"parse_error\":true}\n");
}

static void test_unknown_codes(void **state)
{
	struct xw_record r = {
		.ip_ver = 4,
		.l4_proto = 253, /* experimental: no name */
		.action = 200,
		.tunnel = 200,
		.flags = XW_REC_L4_VALID,
	};
	const char *l;

	l = format(&r, 0, "eth0");
	assert_contains(l, "\"l4_proto\":253,");
	assert_contains(l, "\"l4_proto_name\":\"other\"");
	assert_contains(l, "\"action\":\"unknown\"");
	assert_contains(l, "\"tunnel\":\"unknown\"");
}

static void test_ts_offset(void **state)
{
	struct xw_record r = { .ts_ns = 123456789ULL };
	const char *l;

	l = format(&r, 1700000000000000000LL, "eth0");
	assert_contains(l, "\"ts_ns\":1700000000123456789,");
	l = format(&r, -100000000LL, "eth0");
	assert_contains(l, "\"ts_ns\":23456789,");
	l = format(&r, 0, "eth0");
	assert_contains(l, "\"ts_ns\":123456789,");
}

static void test_clock_offset(void **state)
{
	int64_t off = xw_clock_offset_ns();
	struct timespec rt;

	/* Wall time minus time since boot: after 2020, before now. */
	clock_gettime(CLOCK_REALTIME, &rt);
	assert_true(off > 1577836800LL * 1000000000LL);
	assert_true(off <= (int64_t)rt.tv_sec * 1000000000LL + rt.tv_nsec);
}

static void test_enospc(void **state)
{
	struct xw_record r = { .ip_ver = 4, .flags = XW_REC_L4_VALID };
	char buf[XW_RECORD_JSON_MAX], small[32];
	int n;

	addr4(r.saddr, "192.0.2.1");
	n = xw_record_json(&r, 0, "eth0", buf, sizeof(buf));
	assert_true(n > 0);
	/* Exactly the length leaves no room for the NUL. */
	assert_int_equal(xw_record_json(&r, 0, "eth0", buf, (size_t)n), -ENOSPC);
	assert_int_equal(xw_record_json(&r, 0, "eth0", buf, (size_t)n + 1), n);
	assert_int_equal(xw_record_json(&r, 0, "eth0", small, sizeof(small)),
			 -ENOSPC);
	assert_int_equal(xw_record_json(&r, 0, "eth0", NULL, 0), -ENOSPC);
}

/* The largest line the collector can meet fits its XW_RECORD_JSON_MAX buffer. */
static void test_longest_line_fits(void **state)
{
	struct xw_record r;
	char buf[XW_RECORD_JSON_MAX];
	int n;

	memset(&r, 0xff, sizeof(r));
	r.ip_ver = 6;
	r.l4_proto = 17;
	r.flags = XW_REC_L4_VALID | XW_REC_PARSE_ERROR;
	r.action = XW_ACT_MONITOR;
	r.tunnel = XW_TUN_GENEVE;
	addr6(r.saddr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	addr6(r.daddr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* IFNAMSIZ - 1 characters, and a negative wall time for the '-'. */
	n = xw_record_json(&r, INT64_MIN / 2, "abcdefghijklmno", buf,
			   sizeof(buf));
	if (n < 0)
		fail_msg("longest line does not fit %d bytes", XW_RECORD_JSON_MAX);
	format(&r, INT64_MIN / 2, "abcdefghijklmno");
}

/*
 * The kernel refuses only '/', ':' and blanks in interface names: a '"' or
 * '\' must come out escaped, not end the string early.
 */
static void test_ifname_escaped(void **state)
{
	struct xw_record r = { .ip_ver = 4 };
	const char *l;

	l = format(&r, 0, "a\"b\\c");
	assert_contains(l, "\"ifname\":\"a\\\"b\\\\c\"");
	l = format(&r, 0, "x\ty");
	assert_contains(l, "\"ifname\":\"x\\u0009y\"");
	/* The worst such name of IFNAMSIZ - 1 bytes still fits. */
	format(&r, 0, "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
}

/* Any 63-byte name escapes, given room; a silly one is refused, not overrun. */
static void test_ifname_long(void **state)
{
	struct xw_record r = { .ip_ver = 4 };
	char name[1024], big[2048];

	memset(name, '\x01', 63);
	name[63] = '\0';
	assert_true(xw_record_json(&r, 0, name, big, sizeof(big)) > 0);
	assert_contains(big, "\\u0001\\u0001\",");
	memset(name, '"', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(xw_record_json(&r, 0, name, big, sizeof(big)), -ENOSPC);
}

static void test_one_newline(void **state)
{
	struct xw_record r = { 0 };
	char buf[XW_RECORD_JSON_MAX];
	int n;

	for (unsigned int v = 0; v < 3; v++) {
		r.ip_ver = v == 0 ? 0 : v == 1 ? 4 : 6;
		r.flags = v ? XW_REC_L4_VALID : 0;
		r.l4_proto = v == 2 ? 58 : 6;
		n = xw_record_json(&r, 0, "eth0", buf, sizeof(buf));
		assert_true(n > 1);
		assert_int_equal(buf[n - 1], '\n');
		assert_int_equal(buf[n], '\0');
		assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_tcp),
		cmocka_unit_test(test_v6_udp),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_ts_offset),
		cmocka_unit_test(test_clock_offset),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_longest_line_fits),
		cmocka_unit_test(test_ifname_escaped),
		cmocka_unit_test(test_ifname_long),
		cmocka_unit_test(test_one_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
