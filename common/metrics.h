/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics.h - Prometheus metrics: a text builder for the exposition format
 * 0.0.4 and a small HTTP/1.x server thread that serves the last snapshot.
 *
 * The daemon's main loop owns every counter; the server thread never reads
 * them. About once a second the loop formats a complete snapshot and
 * publishes it; the thread serves whatever snapshot was published last.
 * Nothing the server does (a slow or hostile client, many clients) can
 * block the loop: publish copies the text and swaps a pointer under a
 * mutex that the thread only holds to take a reference.
 *
 * Building a snapshot:
 *
 *   struct xw_prom_buf b = XW_PROM_BUF_INIT;
 *   xw_prom_metric(&b, "xdpwatch_x_packets_total", XW_PROM_COUNTER,
 *                  "Packets seen.");
 *   xw_prom_sample_u64(&b, "xdpwatch_x_packets_total",
 *                      XW_PROM_LABELS("interface", "eth0"), 42);
 *   if (!b.err) xw_metrics__publish(m, b.text, b.len);
 *   xw_prom_buf__reset(&b)   (keeps the memory for the next snapshot)
 *   xw_prom_buf__free(&b)
 *
 * Labels are a NULL-terminated array of name, value pairs. HELP text and
 * label values are escaped as the format says; a metric or label name the
 * format does not allow, or an allocation failure, sets b.err (negative
 * errno, sticky until reset) instead of writing a line, so a caller
 * checks once per snapshot.
 *
 * Serving:
 *
 *   xw_metrics__new(&m, opts, err, errlen)
 *       bind opts->listen ("127.0.0.1:9464", "[::1]:9464", ":9464" for
 *       every address, port 0 for any free port) and start the thread
 *   xw_metrics__port(m)           the bound port
 *   xw_metrics__publish(m, text, len)   0 or -ENOMEM
 *   xw_metrics__free(m)           stop the thread, close everything
 *   xw_metrics_listen_check(listen, err, errlen)
 *       the syntax of a listen address, for --check-config
 *
 * GET (or HEAD) /metrics answers 200 with the snapshot, 503 before the
 * first publish; other paths 404, other methods 405, a malformed request
 * 400, a request over max_request bytes 431. Every answer closes the
 * connection. A connection is closed once it has been open for
 * timeout_ms, whatever it is doing; at most XW_METRICS_MAX_CONNS are
 * served at a time, the rest wait in the listen backlog.
 */
#ifndef XW_METRICS_H
#define XW_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum xw_prom_type {
	XW_PROM_COUNTER,
	XW_PROM_GAUGE,
	XW_PROM_UNTYPED,
};

struct xw_prom_buf {
	char *text;
	size_t len, cap;
	int err;
};

#define XW_PROM_BUF_INIT { 0 }
#define XW_PROM_LABELS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define XW_PROM_NO_LABELS NULL

void xw_prom_buf__reset(struct xw_prom_buf *b);
void xw_prom_buf__free(struct xw_prom_buf *b);

/* "# HELP name help" and "# TYPE name type": once per metric, first. */
void xw_prom_metric(struct xw_prom_buf *b, const char *name,
		    enum xw_prom_type type, const char *help);
/* One sample line; labels may be NULL. NaN and infinities as the format
 * spells them; integers below 2^53 exactly. */
void xw_prom_sample(struct xw_prom_buf *b, const char *name,
		    const char *const *labels, double value);
/* The same, exact over all of uint64_t (packet and byte counters). */
void xw_prom_sample_u64(struct xw_prom_buf *b, const char *name,
			const char *const *labels, uint64_t value);

/* True for names the format allows: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics,
 * [a-zA-Z_][a-zA-Z0-9_]* for labels (and not starting with "__"). */
int xw_prom_metric_name_ok(const char *name);
int xw_prom_label_name_ok(const char *name);

#define XW_METRICS_MAX_CONNS 16
#define XW_METRICS_TIMEOUT_MS 5000
#define XW_METRICS_MAX_REQUEST 8192

struct xw_metrics;

struct xw_metrics_opts {
	const char *listen;
	int timeout_ms; /* 0: XW_METRICS_TIMEOUT_MS */
	size_t max_request; /* 0: XW_METRICS_MAX_REQUEST */
};

int xw_metrics_listen_check(const char *listen, char *err, size_t errlen);
int xw_metrics__new(struct xw_metrics **m, const struct xw_metrics_opts *opts,
		    char *err, size_t errlen);
int xw_metrics__port(const struct xw_metrics *m);
int xw_metrics__publish(struct xw_metrics *m, const char *text, size_t len);
void xw_metrics__free(struct xw_metrics *m);

#endif /* XW_METRICS_H */
