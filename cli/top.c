// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * top.c - `xdpwatch top`: read the pinned maps every interval, drain the
 * feature and alert topics in between, and draw what top_model.c makes of
 * it: in place on a terminal (plain ANSI: home, clear to end of line, an
 * alternate screen), or one frame with --once.
 *
 * Heavy hitters are estimates from sampled records (each counts for its
 * sample rate), in windows of event time as long as the interval; a
 * window is shown XW_TOP_SETTLE_MS after it ends. Rates and rule hits are
 * exact: differences of the kernel's per-CPU counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "feature_decode.h"
#include "kafka.h"
#include "log.h"
#include "pinned.h"
#include "rules.h"
#include "top.h"
#include "top_model.h"

#define MAX_IFACES 64
/* Alerts this old are read at start: a live attack sends an update every
 * few seconds, so its latest state is among them. */
#define ALERTS_LOOKBACK_MS (XW_TOP_SILENT_DROP_NS / 1000000ULL)
#define KAFKA_RETRY_NS (5ULL * 1000000000ULL)

static volatile sig_atomic_t stop_flag, winch_flag;
static struct termios saved_tio;
static bool tty_raw;
static int saved_stderr = -1;

static void on_stop(int sig)
{
	stop_flag = 1;
}

static void on_winch(int sig)
{
	winch_flag = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Put the terminal back as it was: cursor, main screen, line mode. */
static void term_restore(void)
{
	if (!tty_raw)
		return;
	fputs("\x1b[?25h\x1b[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tty_raw = false;
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

static int term_setup(void)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return 0; /* keys unavailable: Ctrl-C still stops it */
	tio = saved_tio;
	/* Keys one at a time, unechoed; ISIG kept, so Ctrl-C is SIGINT. */
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio))
		return -errno;
	tty_raw = true;
	atexit(term_restore);
	/* Log lines (librdkafka's about a broker that is down, say) would
	 * scribble over the frame: the frame's header says what is wrong, so
	 * stderr goes nowhere until the terminal is given back. */
	if (isatty(STDERR_FILENO)) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		saved_stderr = dup(STDERR_FILENO);
		if (null >= 0 && saved_stderr >= 0)
			dup2(null, STDERR_FILENO);
		if (null >= 0)
			close(null);
	}
	/* Alternate screen, cursor hidden. */
	fputs("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J", stdout);
	fflush(stdout);
	return 0;
}

static void term_size(unsigned int *rows, unsigned int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

struct top_run {
	const struct xw_top_opts *o;
	struct xw_top t;
	struct xw_hh hh;
	struct xw_consumer *features, *alerts;
	uint64_t features_retry_ns, alerts_retry_ns; /* monotonic */
	char features_err[512], alerts_err[512];
	int64_t features_since_ms;
	bool hh_on; /* Kafka on and the windows set up */
};

/* ---- pinned maps ---- */

struct iface_names {
	char name[MAX_IFACES][XW_TOP_IFNAME_MAX];
	int n;
};

static int collect(const char *ifname, void *ctx)
{
	struct iface_names *l = ctx;

	if (l->n >= MAX_IFACES)
		return 0;
	snprintf(l->name[l->n++], XW_TOP_IFNAME_MAX, "%s", ifname);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static struct xw_top_iface *iface_get(struct xw_top *t, const char *name)
{
	struct xw_top_iface *n;

	for (size_t i = 0; i < t->nifaces; i++)
		if (!strcmp(t->ifaces[i].name, name))
			return &t->ifaces[i];
	if (t->nifaces >= MAX_IFACES)
		return NULL;
	n = &t->ifaces[t->nifaces++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

struct rule_ctx {
	struct xw_top *t;
	const struct xw_maps *m;
	const char *ifname;
};

static int rule_collect(const struct xw_rule_view *v, void *arg)
{
	struct rule_ctx *c = arg;
	struct xw_top_rule *r = xw_top_rules__add(c->t);
	struct xw_verdict_slot slot;
	uint32_t id = v->rule.rule_id;

	if (!r)
		return -ENOMEM;
	snprintf(r->iface, sizeof(r->iface), "%s", c->ifname);
	r->v = *v;
	if (v->rule.origin == XW_ORIGIN_VERDICT &&
	    !bpf_map_lookup_elem(c->m->verdict_ids, &id, &slot))
		snprintf(r->name, sizeof(r->name), "%.*s",
			 (int)sizeof(slot.rule_id), slot.rule_id);
	return 0;
}

/* One snapshot of every interface: counters, sampling, rules. */
static void read_maps(struct top_run *r)
{
	const struct xw_top_opts *o = r->o;
	struct xw_top *t = &r->t;
	uint64_t now;
	struct iface_names names = { .n = 0 };

	if (o->nifaces) {
		for (int i = 0; i < o->nifaces && i < MAX_IFACES; i++)
			collect(o->ifaces[i], &names);
	} else {
		xw_ifaces__list(o->pin_root, collect, &names);
		/* The directory's order is no order: by name, frame to frame. */
		qsort(names.name, (size_t)names.n, sizeof(names.name[0]),
		      name_cmp);
	}
	for (size_t i = 0; i < t->nifaces; i++)
		t->ifaces[i].present = false;
	xw_top_rules__begin(t);
	for (int i = 0; i < names.n; i++) {
		struct xw_counter cur[XW_TRAFFIC_SLOTS];
		struct xw_top_iface *f = iface_get(t, names.name[i]);
		struct rule_ctx rc = { t, NULL, names.name[i] };
		struct xw_config cfg = { 0 };
		struct xw_maps m;
		bool ok = true;

		if (!f || xw_maps__open(&m, o->pin_root, names.name[i])) {
			if (f)
				f->at_ns = 0; /* rates start over when it is back */
			continue;
		}
		/* Stamped when read: a slow open or a descheduled moment must
		 * not stretch or shrink the interval the rates divide by. */
		now = mono_ns();
		for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS && ok; s++)
			ok = !xw_percpu_counter_sum(m.traffic, s, &cur[s]);
		if (ok) {
			xw_config__read(m.config, &cfg);
			f->sample_rate = cfg.sample_rate;
			xw_top_iface__update(f, cur, now);
			f->present = true;
			rc.m = &m;
			xw_rules__foreach(&m, rule_collect, &rc);
		}
		xw_maps__close(&m);
	}
	xw_top_rules__update(t, mono_ns());
}

/* ---- Kafka ---- */

static int on_record(void *ctx, const struct xw_fb_header *h,
		     const struct xw_fb_record *rec)
{
	struct top_run *r = ctx;
	uint8_t fam = rec->ip_version;

	if (fam != 4 && fam != 6)
		return 0;
	xw_hh__add(&r->hh, (int64_t)(h->time_base_unix_ns + rec->ts_offset_ns),
		   fam, rec->src, rec->dst, rec->sample_rate,
		   (uint64_t)rec->pkt_len * rec->sample_rate);
	return 0;
}

static void on_batch(struct top_run *r, const struct xw_kafka_msg *m)
{
	const char *host = r->o->host;
	struct xw_fb_header h;

	if (!m->value || (m->schema && strcmp(m->schema, "xdpwatch.v1.FeatureBatch")))
		return;
	r->t.batches_read++;
	if (host) {
		if (xw_fb_peek_header(m->value, m->len, &h)) {
			r->t.batches_bad++;
			return;
		}
		if (h.host_id_len != strlen(host) ||
		    memcmp(h.host_id, host, h.host_id_len))
			return;
	}
	if (xw_fb_decode(m->value, m->len, &h, on_record, r))
		r->t.batches_bad++;
}

static void on_alert(struct top_run *r, const struct xw_kafka_msg *m)
{
	struct xw_top_attack a;

	if (!m->value || (m->schema && strcmp(m->schema, "xdpwatch.v1.Alert")))
		return;
	if (xw_top_alert_decode(m->value, m->len, &a)) {
		r->t.alerts_bad++;
		return;
	}
	a.seen_ns = wall_ns();
	r->t.alerts_read++;
	xw_top_attacks__apply(&r->t, &a);
}

static int open_consumer(struct top_run *r, struct xw_consumer **c,
			 const char *topic, int64_t since_ms, char *why,
			 size_t whylen, uint64_t *retry)
{
	char err[256];
	int ret;

	if (*c || mono_ns() < *retry)
		return 0;
	/* A live view waits for a broker that does not answer only briefly,
	 * so that q still quits at once; --once can wait longer. */
	ret = xw_consumer__new_since(c, r->o->props, topic, since_ms,
				     r->o->once ? 5000 : 1000, err, sizeof(err));
	if (ret) {
		*c = NULL;
		snprintf(why, whylen, "%s: %s", topic, err);
		*retry = mono_ns() + KAFKA_RETRY_NS;
		return ret;
	}
	*why = '\0';
	return 0;
}

static void kafka_status(struct top_run *r)
{
	r->t.features_down = !r->features;
	r->t.alerts_down = !r->alerts;
	snprintf(r->t.kafka_status, sizeof(r->t.kafka_status), "%s%s%s",
		 r->features_err, *r->features_err && *r->alerts_err ? "; " : "",
		 r->alerts_err);
}

/* Readers of both topics, each retried a while after it failed. */
static void kafka_open(struct top_run *r)
{
	open_consumer(r, &r->features, r->o->features_topic, r->features_since_ms,
		      r->features_err, sizeof(r->features_err),
		      &r->features_retry_ns);
	open_consumer(r, &r->alerts, r->o->alerts_topic,
		      (int64_t)(wall_ns() / 1000000ULL) - (int64_t)ALERTS_LOOKBACK_MS,
		      r->alerts_err, sizeof(r->alerts_err), &r->alerts_retry_ns);
	kafka_status(r);
}

/* Read what has arrived, without waiting. */
static void kafka_drain(struct top_run *r)
{
	struct xw_kafka_msg m;
	int ret, n;

	if (!r->hh_on)
		return;
	kafka_open(r);
	/* Bounded per call, so a backlog cannot starve the refresh. */
	for (n = 0; r->features && n < 5000; n++) {
		ret = xw_consumer__next(r->features, 0, &m);
		if (ret <= 0)
			break;
		on_batch(r, &m);
	}
	for (n = 0; r->alerts && n < 5000; n++) {
		ret = xw_consumer__next(r->alerts, 0, &m);
		if (ret <= 0)
			break;
		on_alert(r, &m);
	}
}

/* Close the newest heavy-hitter window that has settled, if any. */
static void hh_settle(struct top_run *r, uint64_t wall)
{
	int64_t at = (int64_t)wall - (int64_t)XW_TOP_SETTLE_MS * 1000000LL;
	int64_t idx;

	if (!r->hh_on)
		return;
	idx = xw_hh__window_of(&r->hh, at) - 1;
	if (idx < 0 || idx < r->hh.next)
		return;
	xw_hh__close(&r->hh, idx, &r->t.hh, r->t.top_n);
}

/* Wait until the monotonic time until, reading Kafka and keys meanwhile.
 * Returns false when asked to quit. */
static bool wait_until(struct top_run *r, uint64_t until, bool keys)
{
	for (;;) {
		uint64_t now = mono_ns();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms;

		kafka_drain(r);
		if (stop_flag)
			return false;
		if (winch_flag && keys)
			return true;
		if (now >= until)
			return true;
		ms = (int)((until - now) / 1000000ULL) + 1;
		if (r->o->kafka && ms > 50)
			ms = 50;
		if (poll(&pfd, keys ? 1 : 0, ms) > 0 && (pfd.revents & POLLIN)) {
			char c[32];
			ssize_t n = read(STDIN_FILENO, c, sizeof(c));

			for (ssize_t i = 0; i < n; i++)
				if (c[i] == 'q' || c[i] == 'Q' || c[i] == 3)
					return false;
			if (n == 0 && !tty_raw)
				keys = false; /* stdin at its end: no more keys */
		}
	}
}

static void draw(struct top_run *r, bool live)
{
	struct xw_lines lines = { 0 };
	unsigned int rows = 0, cols = r->o->width;
	char buf[1024];

	r->t.now_unix_ns = wall_ns();
	if (r->o->json) {
		xw_top_json(&r->t, stdout);
		fflush(stdout);
		return;
	}
	if (xw_top_render(&r->t, &lines))
		return;
	if (live) {
		unsigned int tcols;

		term_size(&rows, &tcols);
		if (!cols)
			cols = tcols;
		fputs("\x1b[H", stdout);
	} else if (!cols && isatty(STDOUT_FILENO)) {
		term_size(&rows, &cols);
		rows = 0; /* one frame scrolls like any output */
	}
	if (cols >= sizeof(buf))
		cols = sizeof(buf) - 1;
	for (size_t i = 0; i < lines.n; i++) {
		const char *l = lines.line[i];

		if (live && rows && i + 1 >= rows) {
			/* The last row tells what did not fit, never wraps. */
			snprintf(buf, sizeof(buf), "... %zu more lines (a taller terminal shows them)",
				 lines.n - i);
			fputs(xw_top_fit(buf, cols, buf, sizeof(buf)), stdout);
			fputs("\x1b[K", stdout);
			break;
		}
		fputs(xw_top_fit(l, cols ? cols : sizeof(buf) - 1, buf, sizeof(buf)),
		      stdout);
		fputs(live ? "\x1b[K\n" : "\n", stdout);
	}
	if (live)
		fputs("\x1b[J", stdout);
	fflush(stdout);
	xw_lines__free(&lines);
}

int xw_top(const struct xw_top_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct sigaction sw = { .sa_handler = on_winch };
	static struct xw_top_iface ifaces[MAX_IFACES];
	struct top_run r = { .o = o };
	uint64_t interval_ns = o->interval_ms * 1000000ULL, next, wall0;
	bool live = !o->once && !o->json && isatty(STDOUT_FILENO);
	int ret = 0;

	r.t.interval_ns = interval_ns;
	r.t.top_n = o->top_n;
	r.t.kafka = o->kafka != NULL;
	r.t.kafka_bootstrap = o->kafka;
	r.t.host_filter = o->host;
	r.t.ifaces = ifaces;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sw, NULL);

	if (o->kafka) {
		/* A little before the first window: what was produced just
		 * before we asked is in it too. */
		r.features_since_ms = (int64_t)(wall_ns() / 1000000ULL) - 5000;
	}
	if (o->kafka && !live) {
		/* Open both now, so a broker that does not answer is an
		 * error at once, not an empty frame. */
		open_consumer(&r, &r.features, o->features_topic,
			      r.features_since_ms, r.features_err,
			      sizeof(r.features_err), &r.features_retry_ns);
		if (r.features)
			kafka_open(&r);
		kafka_status(&r);
		if (!r.features || !r.alerts) {
			pr_err("top: Kafka at %s: %s", o->kafka, r.t.kafka_status);
			ret = -EIO;
			goto out;
		}
	}
	/* Window 0 of heavy hitters is the first interval of counters. */
	wall0 = wall_ns();
	next = mono_ns();
	if (o->kafka) {
		ret = xw_hh__init(&r.hh, (int64_t)wall0, interval_ns);
		if (ret) {
			pr_err("top: %s", strerror(-ret));
			goto out;
		}
		r.hh_on = true;
	}
	if (live && (ret = term_setup())) {
		pr_err("top: cannot set up the terminal: %s", strerror(-ret));
		goto out;
	}
	read_maps(&r);
	if (!r.t.nifaces && o->once) {
		pr_err("top: no watched interface under %s: is xdpwatch-collector running?",
		       o->pin_root);
		ret = -ENOENT;
		goto out;
	}
	if (live)
		draw(&r, true);
	for (;;) {
		next += interval_ns;
		if (!wait_until(&r, next, live)) {
			/* --once stopped before its frame: no frame, and a
			 * script must not take silence for one. */
			if (o->once)
				ret = -EINTR;
			break;
		}
		if (winch_flag && mono_ns() < next) {
			winch_flag = 0;
			next -= interval_ns; /* same tick: only redraw */
			fputs("\x1b[2J", stdout);
			draw(&r, true);
			continue;
		}
		read_maps(&r);
		xw_top_attacks__expire(&r.t, wall_ns());
		if (o->once) {
			/* The window of these counters, once settled. */
			if (o->kafka &&
			    !wait_until(&r, mono_ns() + XW_TOP_SETTLE_MS * 1000000ULL, false)) {
				ret = -EINTR;
				break;
			}
			if (o->kafka)
				xw_hh__close(&r.hh, 0, &r.t.hh, r.t.top_n);
			draw(&r, false);
			break;
		}
		hh_settle(&r, wall_ns());
		draw(&r, live);
	}
out:
	term_restore();
	xw_consumer__destroy(r.features);
	xw_consumer__destroy(r.alerts);
	if (r.hh_on)
		xw_hh__free(&r.hh);
	xw_top__free(&r.t);
	return ret;
}
