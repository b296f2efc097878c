// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_metrics.c - common/metrics.c: the exposition-format builder
 * (HELP/TYPE lines, label escaping, number formats, refused names) and
 * the HTTP server over loopback (200 with the last snapshot, 404, 405,
 * 503 before the first publish, an oversized request answered 431, a
 * client that never finishes its request cut off at the timeout while
 * others are served, listen address syntax).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "testhelp.h"

static void test_format_help_type_labels(void **state)
{
	struct xw_prom_buf b = XW_PROM_BUF_INIT;

	xw_prom_metric(&b, "xw_packets_total", XW_PROM_COUNTER,
		       "Packets seen.\nSecond line with a \\ and \"quotes\".");
	xw_prom_sample_u64(&b, "xw_packets_total",
			   XW_PROM_LABELS("interface", "eth0", "action", "drop"),
			   18446744073709551615ULL);
	xw_prom_sample_u64(&b, "xw_packets_total",
			   XW_PROM_LABELS("interface", "we\"ird\\if\nname"), 0);
	xw_prom_metric(&b, "xw_queue", XW_PROM_GAUGE, "Queue length.");
	xw_prom_sample(&b, "xw_queue", XW_PROM_NO_LABELS, 12);
	xw_prom_sample(&b, "xw_queue", XW_PROM_LABELS("k", "half"), 0.5);
	xw_prom_sample(&b, "xw_queue", XW_PROM_LABELS("k", "nan"), 0.0 / 0.0);
	xw_prom_sample(&b, "xw_queue", XW_PROM_LABELS("k", "inf"), 1.0 / 0.0);
	xw_prom_sample(&b, "xw_queue", XW_PROM_LABELS("k", "ninf"), -1.0 / 0.0);
	xw_prom_sample(&b, "xw_queue", XW_PROM_LABELS("k", "neg"), -3);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.text,
		"# HELP xw_packets_total Packets seen.\\nSecond line with a \\\\ and \"quotes\".\n"
		"# TYPE xw_packets_total counter\n"
		"xw_packets_total{interface=\"eth0\",action=\"drop\"} 18446744073709551615\n"
		"xw_packets_total{interface=\"we\\\"ird\\\\if\\nname\"} 0\n"
		"# HELP xw_queue Queue length.\n"
		"# TYPE xw_queue gauge\n"
		"xw_queue 12\n"
		"xw_queue{k=\"half\"} 0.5\n"
		"xw_queue{k=\"nan\"} NaN\n"
		"xw_queue{k=\"inf\"} +Inf\n"
		"xw_queue{k=\"ninf\"} -Inf\n"
		"xw_queue{k=\"neg\"} -3\n");
	assert_int_equal(b.len, strlen(b.text));
	xw_prom_buf__reset(&b);
	assert_int_equal(b.len, 0);
	xw_prom_buf__free(&b);
}

static void test_bad_names_are_sticky_errors(void **state)
{
	struct xw_prom_buf b = XW_PROM_BUF_INIT;

	assert_true(xw_prom_metric_name_ok("a:b_c9"));
	assert_false(xw_prom_metric_name_ok("9abc"));
	assert_false(xw_prom_metric_name_ok("a-b"));
	assert_false(xw_prom_metric_name_ok(""));
	assert_true(xw_prom_label_name_ok("interface"));
	assert_false(xw_prom_label_name_ok("__name"));
	assert_false(xw_prom_label_name_ok("a:b"));

	xw_prom_sample(&b, "ok", XW_PROM_LABELS("bad-label", "x"), 1);
	assert_int_equal(b.err, -EINVAL);
	xw_prom_sample(&b, "ok", XW_PROM_NO_LABELS, 1);
	assert_int_equal(b.len, 0); /* nothing written after an error */
	xw_prom_buf__reset(&b);
	xw_prom_metric(&b, "bad name", XW_PROM_GAUGE, "x");
	assert_int_equal(b.err, -EINVAL);
	xw_prom_buf__reset(&b);
	xw_prom_sample(&b, "ok", XW_PROM_NO_LABELS, 1);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.text, "ok 1\n");
	xw_prom_buf__free(&b);
}

static void test_big_snapshot_grows(void **state)
{
	struct xw_prom_buf b = XW_PROM_BUF_INIT;
	char v[16];

	xw_prom_metric(&b, "xw_many", XW_PROM_GAUGE, "Many series.");
	for (int i = 0; i < 20000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		xw_prom_sample(&b, "xw_many", XW_PROM_LABELS("i", v), i);
	}
	assert_int_equal(b.err, 0);
	assert_contains(b.text, "xw_many{i=\"19999\"} 19999\n");
	xw_prom_buf__free(&b);
}

static void test_listen_syntax(void **state)
{
	char err[256];

	assert_int_equal(xw_metrics_listen_check("127.0.0.1:9464", err, sizeof(err)), 0);
	assert_int_equal(xw_metrics_listen_check("[::1]:9464", err, sizeof(err)), 0);
	assert_int_equal(xw_metrics_listen_check(":9464", err, sizeof(err)), 0);
	assert_int_equal(xw_metrics_listen_check("localhost:0", err, sizeof(err)), 0);
	assert_int_equal(xw_metrics_listen_check("127.0.0.1", err, sizeof(err)), -EINVAL);
	assert_int_equal(xw_metrics_listen_check("::1:9464", err, sizeof(err)), -EINVAL);
	assert_contains(err, "brackets");
	assert_int_equal(xw_metrics_listen_check(":70000", err, sizeof(err)), -EINVAL);
	assert_contains(err, "0-65535");
	assert_int_equal(xw_metrics_listen_check("[::1]9464", err, sizeof(err)), -EINVAL);
	assert_int_equal(xw_metrics_listen_check(":", err, sizeof(err)), -EINVAL);
}

/* ---- server ---- */

static int connect_to(int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* Read until EOF (or 5 s); returns what came, NUL-terminated, malloc'd. */
static char *read_all(int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_non_null(buf);
	while (poll(&p, 1, 5000) == 1) {
		ssize_t r;

		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return buf;
}

static char *request(int family, int port, const char *req)
{
	int fd = connect_to(family, port);
	char *resp;

	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	resp = read_all(fd);
	close(fd);
	return resp;
}

static struct xw_metrics *server(const char *listen, int timeout_ms,
				 size_t max_request)
{
	struct xw_metrics_opts o = { .listen = listen, .timeout_ms = timeout_ms,
				     .max_request = max_request };
	struct xw_metrics *m;
	char err[256];
	int ret = xw_metrics__new(&m, &o, err, sizeof(err));

	if (ret)
		fail_msg("xw_metrics__new(%s): %s", listen, err);
	assert_true(xw_metrics__port(m) > 0);
	return m;
}

static void test_serves_snapshot_and_errors(void **state)
{
	struct xw_metrics *m = server("127.0.0.1:0", 2000, 0);
	int port = xw_metrics__port(m);
	const char *snap1 = "# TYPE a counter\na 1\n", *snap2 = "# TYPE a counter\na 2\n";
	char *r;

	r = request(AF_INET, port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_contains(r, "HTTP/1.1 503 ");
	free(r);

	assert_int_equal(xw_metrics__publish(m, snap1, strlen(snap1)), 0);
	r = request(AF_INET, port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	assert_contains(r, "HTTP/1.1 200 OK\r\n");
	assert_contains(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
	assert_contains(r, "Content-Length: 21\r\n");
	assert_contains(r, "Connection: close\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap1);
	free(r);

	/* The last publish wins; a query string and a bare-LF request too. */
	assert_int_equal(xw_metrics__publish(m, snap2, strlen(snap2)), 0);
	r = request(AF_INET, port, "GET /metrics?x=1 HTTP/1.0\n\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap2);
	free(r);

	r = request(AF_INET, port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	assert_contains(r, "HTTP/1.1 200 OK\r\n");
	assert_contains(r, "Content-Length: 21\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, "");
	free(r);

	r = request(AF_INET, port, "GET / HTTP/1.1\r\n\r\n");
	assert_contains(r, "HTTP/1.1 404 Not Found\r\n");
	free(r);
	r = request(AF_INET, port, "GET /metricsx HTTP/1.1\r\n\r\n");
	assert_contains(r, "HTTP/1.1 404 ");
	free(r);
	r = request(AF_INET, port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_contains(r, "HTTP/1.1 405 ");
	assert_contains(r, "Allow: GET, HEAD\r\n");
	free(r);
	r = request(AF_INET, port, "GARBAGE\r\n\r\n");
	assert_contains(r, "HTTP/1.1 400 ");
	free(r);
	xw_metrics__free(m);
}

static void test_ipv6_and_any_address(void **state)
{
	const char *snap = "a 1\n";
	struct xw_metrics *m = server("[::1]:0", 2000, 0);
	char *r;

	xw_metrics__publish(m, snap, strlen(snap));
	r = request(AF_INET6, xw_metrics__port(m), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap);
	free(r);
	xw_metrics__free(m);

	/* ":port" takes IPv4 and IPv6 alike. */
	m = server(":0", 2000, 0);
	xw_metrics__publish(m, snap, strlen(snap));
	r = request(AF_INET, xw_metrics__port(m), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap);
	free(r);
	r = request(AF_INET6, xw_metrics__port(m), "GET /metrics HTTP/1.1\r\n\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap);
	free(r);
	xw_metrics__free(m);
}

static void test_oversized_request_refused(void **state)
{
	struct xw_metrics *m = server("127.0.0.1:0", 2000, 1024);
	char big[4096];
	char *r;
	int fd;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Pad: ", 30);
	fd = connect_to(AF_INET, xw_metrics__port(m));
	/* The server may answer and close before it all went out. */
	send(fd, big, strlen(big), MSG_NOSIGNAL);
	r = read_all(fd);
	close(fd);
	assert_contains(r, "HTTP/1.1 431 ");
	free(r);
	xw_metrics__free(m);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_slow_client_cut_off_others_served(void **state)
{
	struct xw_metrics *m = server("127.0.0.1:0", 1500, 0);
	int port = xw_metrics__port(m), slow[XW_METRICS_MAX_CONNS - 1];
	const char *snap = "a 1\n";
	double t0;
	char *r;
	char c;

	xw_metrics__publish(m, snap, strlen(snap));
	/* Clients that never finish their request take all slots but one... */
	for (size_t i = 0; i < XW_ARRAY_SIZE(slow); i++) {
		slow[i] = connect_to(AF_INET, port);
		send(slow[i], "GET /met", 8, MSG_NOSIGNAL);
	}
	/* ...and a normal scrape is still answered at once. */
	t0 = mono_s();
	r = request(AF_INET, port, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_string_equal(strstr(r, "\r\n\r\n") + 4, snap);
	/* Well before the slow ones time out: not queued behind them. */
	assert_true(mono_s() - t0 < 1.0);
	free(r);

	/* The slow ones are closed at the timeout, with no answer. */
	for (size_t i = 0; i < XW_ARRAY_SIZE(slow); i++) {
		struct pollfd p = { .fd = slow[i], .events = POLLIN };

		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_true(recv(slow[i], &c, 1, 0) <= 0);
		close(slow[i]);
	}
	assert_true(mono_s() - t0 < 4.0);
	xw_metrics__free(m);
}

static void test_publish_while_serving(void **state)
{
	struct xw_metrics *m = server("127.0.0.1:0", 2000, 0);
	struct xw_prom_buf b = XW_PROM_BUF_INIT;
	int port = xw_metrics__port(m);

	/* A big snapshot replaced under a reader: each answer is one whole
	 * snapshot, never a mix. */
	xw_prom_metric(&b, "xw_n", XW_PROM_GAUGE, "n");
	for (int i = 0; i < 5000; i++)
		xw_prom_sample(&b, "xw_n", XW_PROM_LABELS("i", "x"), 1);
	for (int round = 0; round < 20; round++) {
		char *r;
		size_t len;

		b.text[b.len - 2] = (char)('0' + round % 10);
		xw_metrics__publish(m, b.text, b.len);
		r = request(AF_INET, port, "GET /metrics HTTP/1.1\r\n\r\n");
		len = strlen(strstr(r, "\r\n\r\n") + 4);
		assert_int_equal(len, b.len);
		free(r);
	}
	xw_prom_buf__free(&b);
	xw_metrics__free(m);
}

static void test_bind_errors(void **state)
{
	struct xw_metrics_opts o = { .listen = "127.0.0.1:0" };
	struct xw_metrics *m, *m2;
	char err[256], addr[64];

	assert_int_equal(xw_metrics__new(&m, &o, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", xw_metrics__port(m));
	o.listen = addr;
	assert_int_equal(xw_metrics__new(&m2, &o, err, sizeof(err)), -EADDRINUSE);
	assert_contains(err, "cannot listen on 127.0.0.1:");
	assert_null(m2);
	o.listen = "192.0.2.1:0"; /* not ours */
	assert_int_equal(xw_metrics__new(&m2, &o, err, sizeof(err)), -EADDRNOTAVAIL);
	o.listen = "nope";
	assert_int_equal(xw_metrics__new(&m2, &o, err, sizeof(err)), -EINVAL);
	xw_metrics__free(m);
	xw_metrics__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_help_type_labels),
		cmocka_unit_test(test_bad_names_are_sticky_errors),
		cmocka_unit_test(test_big_snapshot_grows),
		cmocka_unit_test(test_listen_syntax),
		cmocka_unit_test(test_serves_snapshot_and_errors),
		cmocka_unit_test(test_ipv6_and_any_address),
		cmocka_unit_test(test_oversized_request_refused),
		cmocka_unit_test(test_slow_client_cut_off_others_served),
		cmocka_unit_test(test_publish_while_serving),
		cmocka_unit_test(test_bind_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
