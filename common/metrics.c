// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* metrics.c - see metrics.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/* ---- text builder ---------------------------------------------------- */

void xw_prom_buf__reset(struct xw_prom_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->text)
		b->text[0] = '\0';
}

void xw_prom_buf__free(struct xw_prom_buf *b)
{
	free(b->text);
	*b = (struct xw_prom_buf)XW_PROM_BUF_INIT;
}

static bool reserve(struct xw_prom_buf *b, size_t more)
{
	size_t need = b->len + more + 1, cap;
	char *t;

	if (b->err)
		return false;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	t = realloc(b->text, cap);
	if (!t) {
		b->err = -ENOMEM;
		return false;
	}
	b->text = t;
	b->cap = cap;
	return true;
}

static void put(struct xw_prom_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = '\0';
}

static void puts_(struct xw_prom_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/*
 * The format escapes backslash and newline in HELP text, and also the
 * double quote in label values; everything else, UTF-8 included, goes
 * through as it is.
 */
static void put_escaped(struct xw_prom_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else if (*s == '"' && quote)
			put(b, "\\\"", 2);
		else
			put(b, s, 1);
	}
}

static bool name_ok(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_' || (colon && c == ':');

		if (!alpha && (p == s || c < '0' || c > '9'))
			return false;
	}
	return true;
}

int xw_prom_metric_name_ok(const char *name)
{
	return name_ok(name, true);
}

int xw_prom_label_name_ok(const char *name)
{
	/* Names starting with "__" are reserved for Prometheus itself. */
	return name_ok(name, false) && strncmp(name, "__", 2) != 0;
}

static const char *const type_names[] = {
	[XW_PROM_COUNTER] = "counter",
	[XW_PROM_GAUGE] = "gauge",
	[XW_PROM_UNTYPED] = "untyped",
};

void xw_prom_metric(struct xw_prom_buf *b, const char *name,
		    enum xw_prom_type type, const char *help)
{
	if (b->err)
		return;
	if (!xw_prom_metric_name_ok(name) || (unsigned int)type > XW_PROM_UNTYPED) {
		b->err = -EINVAL;
		return;
	}
	if (help) {
		puts_(b, "# HELP ");
		puts_(b, name);
		put(b, " ", 1);
		put_escaped(b, help, false);
		put(b, "\n", 1);
	}
	puts_(b, "# TYPE ");
	puts_(b, name);
	put(b, " ", 1);
	puts_(b, type_names[type]);
	put(b, "\n", 1);
}

/* name{l1="v1",l2="v2"} with the trailing space; false when refused. */
static bool put_series(struct xw_prom_buf *b, const char *name,
		       const char *const *labels)
{
	if (b->err)
		return false;
	if (!xw_prom_metric_name_ok(name)) {
		b->err = -EINVAL;
		return false;
	}
	for (const char *const *l = labels; l && *l; l += 2) {
		if (!xw_prom_label_name_ok(l[0]) || !l[1]) {
			b->err = -EINVAL;
			return false;
		}
	}
	puts_(b, name);
	if (labels && *labels) {
		put(b, "{", 1);
		for (const char *const *l = labels; *l; l += 2) {
			if (l != labels)
				put(b, ",", 1);
			puts_(b, l[0]);
			put(b, "=\"", 2);
			put_escaped(b, l[1], true);
			put(b, "\"", 1);
		}
		put(b, "}", 1);
	}
	put(b, " ", 1);
	return !b->err;
}

void xw_prom_sample(struct xw_prom_buf *b, const char *name,
		    const char *const *labels, double value)
{
	char num[40];

	if (!put_series(b, name, labels))
		return;
	if (isnan(value))
		snprintf(num, sizeof(num), "NaN\n");
	else if (isinf(value))
		snprintf(num, sizeof(num), "%sInf\n", value > 0 ? "+" : "-");
	else if (value == (double)(int64_t)value && fabs(value) < 9007199254740992.0)
		snprintf(num, sizeof(num), "%" PRId64 "\n", (int64_t)value);
	else
		snprintf(num, sizeof(num), "%.17g\n", value);
	puts_(b, num);
}

void xw_prom_sample_u64(struct xw_prom_buf *b, const char *name,
			const char *const *labels, uint64_t value)
{
	char num[24];

	if (!put_series(b, name, labels))
		return;
	snprintf(num, sizeof(num), "%" PRIu64 "\n", value);
	puts_(b, num);
}

/* ---- listen address -------------------------------------------------- */

/* "host:port", "[v6]:port" or ":port" into host (empty: every address)
 * and port; -EINVAL with the reason otherwise. */
static int listen_split(const char *listen, char *host, size_t hostlen,
			char *port, size_t portlen, char *err, size_t errlen)
{
	const char *h = listen, *p;
	size_t hl;
	char *end;
	long v;

	if (!listen || !*listen) {
		snprintf(err, errlen, "empty listen address");
		return -EINVAL;
	}
	if (*listen == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "'%s': expected [ADDRESS]:PORT", listen);
			return -EINVAL;
		}
		h = listen + 1;
		hl = (size_t)(close - h);
		p = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');

		if (!colon) {
			snprintf(err, errlen, "'%s': expected HOST:PORT, [ADDRESS]:PORT or :PORT",
				 listen);
			return -EINVAL;
		}
		hl = (size_t)(colon - listen);
		if (memchr(listen, ':', hl)) {
			snprintf(err, errlen, "'%s': an IPv6 address goes in brackets, [ADDRESS]:PORT",
				 listen);
			return -EINVAL;
		}
		p = colon + 1;
	}
	errno = 0;
	v = strtol(p, &end, 10);
	if (!*p || *end || errno || v < 0 || v > 65535) {
		snprintf(err, errlen, "'%s': port must be 0-65535", listen);
		return -EINVAL;
	}
	if (hl >= hostlen) {
		snprintf(err, errlen, "'%s': host too long", listen);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%ld", v);
	return 0;
}

int xw_metrics_listen_check(const char *listen, char *err, size_t errlen)
{
	char host[NI_MAXHOST], port[8];

	return listen_split(listen, host, sizeof(host), port, sizeof(port), err,
			    errlen);
}

static int bind_one(const struct sockaddr *sa, socklen_t salen)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* ":port" binds [::] and should take IPv4 too, whatever the sysctl. */
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int listen_open(const char *listen, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	char host[NI_MAXHOST], port[8];
	struct addrinfo *res, *ai;
	int fd = -EADDRNOTAVAIL, ret;

	ret = listen_split(listen, host, sizeof(host), port, sizeof(port), err,
			   errlen);
	if (ret)
		return ret;
	if (!*host) {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6,
					     .sin6_port = htons((uint16_t)atoi(port)) };
		struct sockaddr_in any4 = { .sin_family = AF_INET,
					    .sin_port = htons((uint16_t)atoi(port)) };

		fd = bind_one((struct sockaddr *)&any6, sizeof(any6));
		/* A kernel without IPv6 still has every IPv4 address. */
		if (fd == -EAFNOSUPPORT)
			fd = bind_one((struct sockaddr *)&any4, sizeof(any4));
	} else {
		ret = getaddrinfo(host, port, &hints, &res);
		if (ret) {
			snprintf(err, errlen, "'%s': %s", listen, gai_strerror(ret));
			return -EINVAL;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			fd = bind_one(ai->ai_addr, ai->ai_addrlen);
			if (fd >= 0)
				break;
		}
		freeaddrinfo(res);
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(-fd));
	return fd;
}

/* ---- server ------------------------------------------------------------ */

/* A published snapshot; the server holds a reference while it sends. */
struct snap {
	unsigned int refs; /* under xw_metrics.lock */
	size_t len;
	char text[];
};

enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
	enum conn_state state;
	int fd;
	uint64_t deadline_ms;
	size_t got; /* request bytes read */
	char req[XW_METRICS_MAX_REQUEST];
	char head[256];
	size_t head_len, sent;
	const char *body; /* the snapshot's text or a static message */
	size_t body_len;
	struct snap *snap; /* referenced while body points into it */
};

struct xw_metrics {
	int listen_fd, wake_fd, port;
	int timeout_ms;
	size_t max_request;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	struct snap *cur; /* under lock */
	struct conn conns[XW_METRICS_MAX_CONNS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void snap_put(struct xw_metrics *m, struct snap *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&m->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (last)
		free(s);
}

static struct snap *snap_get(struct xw_metrics *m)
{
	struct snap *s;

	pthread_mutex_lock(&m->lock);
	s = m->cur;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&m->lock);
	return s;
}

int xw_metrics__publish(struct xw_metrics *m, const char *text, size_t len)
{
	struct snap *s = malloc(sizeof(*s) + len), *old;

	if (!s)
		return -ENOMEM;
	/* Copied outside the lock: the server is never kept waiting on it. */
	memcpy(s->text, text, len);
	s->len = len;
	s->refs = 1;
	pthread_mutex_lock(&m->lock);
	old = m->cur;
	m->cur = s;
	pthread_mutex_unlock(&m->lock);
	snap_put(m, old);
	return 0;
}

static void conn_close(struct xw_metrics *m, struct conn *c)
{
	close(c->fd);
	snap_put(m, c->snap);
	c->snap = NULL;
	c->state = CONN_FREE;
}

static void respond(struct conn *c, const char *status, const char *ctype,
		    const char *body, size_t body_len, bool head_only,
		    const char *extra)
{
	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
				       "HTTP/1.1 %s\r\n"
				       "Content-Type: %s\r\n"
				       "Content-Length: %zu\r\n"
				       "%s"
				       "Connection: close\r\n\r\n",
				       status, ctype, body_len, extra);
	c->body = head_only ? "" : body;
	c->body_len = head_only ? 0 : body_len;
	c->sent = 0;
	c->state = CONN_WRITE;
}

static void respond_text(struct conn *c, const char *status, const char *msg,
			 const char *extra)
{
	respond(c, status, "text/plain; charset=utf-8", msg, strlen(msg), false,
		extra);
}

/* A whole request head is in c->req: answer it. */
static void handle_request(struct xw_metrics *m, struct conn *c)
{
	char *line_end = memchr(c->req, '\n', c->got), *sp1, *sp2, *q;
	bool get, head;

	if (!line_end)
		goto bad;
	*line_end = '\0';
	if (line_end > c->req && line_end[-1] == '\r')
		line_end[-1] = '\0';
	sp1 = strchr(c->req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) || !sp2[8] || sp2[9])
		goto bad;
	*sp1 = *sp2 = '\0';
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = '\0';
	if (strcmp(sp1 + 1, "/metrics")) {
		respond_text(c, "404 Not Found", "not found; metrics are at /metrics\n", "");
		return;
	}
	get = !strcmp(c->req, "GET");
	head = !strcmp(c->req, "HEAD");
	if (!get && !head) {
		respond_text(c, "405 Method Not Allowed", "method not allowed\n",
			     "Allow: GET, HEAD\r\n");
		return;
	}
	c->snap = snap_get(m);
	if (!c->snap) {
		respond_text(c, "503 Service Unavailable", "no metrics yet\n", "");
		return;
	}
	respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		c->snap->text, c->snap->len, head, "");
	return;
bad:
	respond_text(c, "400 Bad Request", "bad request\n", "");
}

static void conn_read(struct xw_metrics *m, struct conn *c)
{
	ssize_t r;

	for (;;) {
		size_t room = m->max_request - c->got;

		if (!room) {
			respond_text(c, "431 Request Header Fields Too Large",
				     "request too large\n", "");
			return;
		}
		r = recv(c->fd, c->req + c->got, room, MSG_DONTWAIT);
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(m, c);
			return;
		}
		if (r == 0) { /* gone before it asked for anything */
			conn_close(m, c);
			return;
		}
		c->got += (size_t)r;
		/* The head ends at an empty line; HTTP allows a bare LF. */
		for (size_t i = 1; i < c->got; i++) {
			if (c->req[i] == '\n' &&
			    (c->req[i - 1] == '\n' ||
			     (i >= 3 && !memcmp(c->req + i - 3, "\r\n\r", 3)))) {
				handle_request(m, c);
				return;
			}
		}
	}
}

static void conn_write(struct xw_metrics *m, struct conn *c)
{
	for (;;) {
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov };
		size_t total = c->head_len + c->body_len;
		ssize_t r;

		if (c->sent >= total) {
			/* Close only after the client has read the answer and
			 * gone: closing with its request still unread would
			 * reset the connection and could lose the answer. */
			shutdown(c->fd, SHUT_WR);
			c->state = CONN_LINGER;
			return;
		}
		if (c->sent < c->head_len) {
			iov[0] = (struct iovec){ c->head + c->sent, c->head_len - c->sent };
			iov[1] = (struct iovec){ (void *)c->body, c->body_len };
			msg.msg_iovlen = 2;
		} else {
			iov[0] = (struct iovec){ (void *)(c->body + c->sent - c->head_len),
						 total - c->sent };
			msg.msg_iovlen = 1;
		}
		r = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(m, c);
			return;
		}
		c->sent += (size_t)r;
	}
}

static void conn_linger(struct xw_metrics *m, struct conn *c)
{
	char sink[512];
	ssize_t r;

	do
		r = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
	while (r > 0);
	if (r == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(m, c);
}

static int nconns(const struct xw_metrics *m)
{
	int n = 0;

	for (int i = 0; i < XW_METRICS_MAX_CONNS; i++)
		n += m->conns[i].state != CONN_FREE;
	return n;
}

static void accept_new(struct xw_metrics *m, uint64_t now, uint64_t *pause_until)
{
	for (int i = 0; i < XW_METRICS_MAX_CONNS; i++) {
		struct conn *c = &m->conns[i];
		int fd;

		if (c->state != CONN_FREE)
			continue;
		fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: poll would report the
				 * listener again at once; wait a little. */
				pr_warn("metrics: accept: %s", strerror(errno));
				*pause_until = now + 100;
			}
			return;
		}
		*c = (struct conn){ .state = CONN_READ, .fd = fd,
				    .deadline_ms = now + (uint64_t)m->timeout_ms };
	}
}

static void *serve(void *arg)
{
	struct xw_metrics *m = arg;
	uint64_t pause_until = 0;

	for (;;) {
		struct pollfd pfd[2 + XW_METRICS_MAX_CONNS];
		int idx[XW_METRICS_MAX_CONNS];
		uint64_t now = now_ms(), next = UINT64_MAX;
		int np = 0, li = -1, timeout;

		pfd[np++] = (struct pollfd){ .fd = m->wake_fd, .events = POLLIN };
		if (nconns(m) < XW_METRICS_MAX_CONNS && now >= pause_until) {
			li = np;
			pfd[np++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
		} else if (now < pause_until) {
			next = pause_until;
		}
		for (int i = 0; i < XW_METRICS_MAX_CONNS; i++) {
			struct conn *c = &m->conns[i];

			if (c->state == CONN_FREE)
				continue;
			/* The deadline covers the whole exchange: a client
			 * that trickles its request or reads the answer a
			 * byte at a time is cut off all the same. */
			if (now >= c->deadline_ms) {
				conn_close(m, c);
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			idx[i] = np;
			pfd[np++] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_WRITE ? POLLOUT : POLLIN,
			};
		}
		timeout = next == UINT64_MAX ? -1 : (int)(next - now);
		if (poll(pfd, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("metrics: poll: %s; the metrics server stops", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (int i = 0; i < XW_METRICS_MAX_CONNS; i++) {
			struct conn *c = &m->conns[i];

			if (c->state == CONN_FREE || !pfd[idx[i]].revents)
				continue;
			if (c->state == CONN_READ)
				conn_read(m, c);
			/* An answer is usually written at once, without
			 * another trip through poll. */
			if (c->state == CONN_WRITE)
				conn_write(m, c);
			else if (c->state == CONN_LINGER)
				conn_linger(m, c);
		}
		if (li >= 0 && pfd[li].revents)
			accept_new(m, now_ms(), &pause_until);
	}
	for (int i = 0; i < XW_METRICS_MAX_CONNS; i++)
		if (m->conns[i].state != CONN_FREE)
			conn_close(m, &m->conns[i]);
	return NULL;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int xw_metrics__new(struct xw_metrics **mp, const struct xw_metrics_opts *o,
		    char *err, size_t errlen)
{
	struct xw_metrics *m;
	sigset_t all, old;
	int ret;

	*mp = NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->wake_fd = -1;
	m->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : XW_METRICS_TIMEOUT_MS;
	m->max_request = o->max_request && o->max_request < XW_METRICS_MAX_REQUEST ?
				 o->max_request : XW_METRICS_MAX_REQUEST;
	pthread_mutex_init(&m->lock, NULL);
	m->listen_fd = listen_open(o->listen, err, errlen);
	if (m->listen_fd < 0) {
		ret = m->listen_fd;
		goto fail;
	}
	m->port = local_port(m->listen_fd);
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-ret));
		goto fail;
	}
	/* Signals belong to the main loop (its stop flag and EINTR): the
	 * thread starts with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&m->thread, NULL, serve, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		snprintf(err, errlen, "cannot start the metrics thread: %s",
			 strerror(-ret));
		goto fail;
	}
	m->thread_started = true;
	*mp = m;
	return 0;
fail:
	xw_metrics__free(m);
	return ret;
}

int xw_metrics__port(const struct xw_metrics *m)
{
	return m->port;
}

void xw_metrics__free(struct xw_metrics *m)
{
	uint64_t one = 1;

	if (!m)
		return;
	if (m->thread_started) {
		if (write(m->wake_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("metrics: cannot wake the server thread: %s",
				strerror(errno));
		pthread_join(m->thread, NULL);
	}
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	free(m->cur);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
