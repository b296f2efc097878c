// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_verdicts.c - xw-bench-verdicts: how fast signed verdicts go from
 * the verdict topic into a real collector's drop maps.
 *
 * A real xdpwatch-collector (the binary, started and stopped by this
 * program, attached to a veth in a namespace the caller made) reads a
 * real broker; this program signs and publishes verdicts with the same
 * code as `xdpwatch verdict add` (xw_envelope_seal, xw_producer), and
 * watches the collector's pinned xw_deny_host_v4 map for each verdict's
 * /32 from a thread of its own: a rule is enforced when the XDP program
 * can find it. Every verdict is a drop of one address in 198.18.0.0/15
 * for all hosts; address i is 198.18.0.0 + i.
 *
 * Rows:
 *   latency       after one warm-up verdict (run_warmup), --count
 *                 verdicts published one by one at --rate per
 *                 second; for each, the time from just before produce to
 *                 the first map lookup that finds its rule (CLOCK_MONOTONIC
 *                 in this process). Median, p95, p99, max. The collector's
 *                 own "applied as rule" log lines give a second figure.
 *   replay N      N verdicts already on a fresh topic; the collector is
 *                 started on empty pins and reads them from the beginning,
 *                 reconciles once caught up (that is where it writes the
 *                 rules) and goes on. From the fork to the first rule in
 *                 the map (startup + read), to all N (+ apply).
 *   live N        the collector running and caught up; N verdicts
 *                 produced as fast as the producer takes them; from the
 *                 first produce to all N in the map.
 * verdicts/s is N over the whole time of the row (start or first produce
 * to the last rule in the map). Rate rows run --runs times each and show
 * min/median/max; the latency row is one run of --count verdicts.
 *
 * The collector runs with rule_budget = 65536 (XW_MAX_RULES / 2, its
 * maximum): the replay counts and count + runs * live-count must fit it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench_util.h"
#include "config.h"
#include "kafka.h"
#include "log.h"
#include "sign.h"
#include "verdict.h"
#include "xdpwatch_shared.h"

#define BENCH_MAX_RUNS 21
_Static_assert(BENCH_MAX_RUNS <= BENCH_SPREAD_MAX, "runs fit bench_spread_of");
#define BENCH_MAX_REPLAY 4
#define BENCH_MAX_SETS 8
#define ADDR_SPAN 131072 /* 198.18.0.0/15 */
#define RULE_BUDGET (XW_MAX_RULES / 2)
#define KEY_ID "xw-bench-verdicts"
#define ENVELOPE_SCHEMA_NAME "xdpwatch.v1.SignedEnvelope"
#define GOAL_MEDIAN_MS 200.0
#define GOAL_P99_MS 1000.0
#define GOAL_RATE 10000.0

/* ---- options: one row per option, --help and bounds come from here ---- */

struct bench_opts {
	long long count;
	long long rate;
	long long live_count;
	long long runs;
	long long ttl_s;
	long long timeout_s;
	long long poll_us;
	const char *replay;
	const char *broker;
	const char *topic;
	const char *replay_topic;
	const char *key_dir;
	const char *collector;
	const char *netns;
	const char *ifname;
	const char *pin_root;
	const char *work_dir;
	const char *sets[BENCH_MAX_SETS]; /* passed on as --set KEY=VALUE */
	int nsets;
	bool verbose;
};

#define OFF(f) offsetof(struct bench_opts, f)
static const struct bench_opt opt_rows[] = {
	{ "count", 'c', BENCH_OPT_INT, OFF(count), 1000, 0, RULE_BUDGET - 1, NULL, "N",
	  "verdicts in the latency row; 0 skips the row" },
	{ "rate", 'r', BENCH_OPT_INT, OFF(rate), 50, 1, 100000, NULL, "N",
	  "verdicts per second in the latency row" },
	{ "live-count", 'l', BENCH_OPT_INT, OFF(live_count), 10000, 0, RULE_BUDGET,
	  NULL, "N", "verdicts per live run, produced at once; 0 skips the row" },
	{ "replay", 'R', BENCH_OPT_STR, OFF(replay), 0, 0, 0, "10000,60000", "N,N",
	  "verdicts on the topic when the collector starts, one row each, "
	  "ascending, at most 65536 (default 10000,60000; '' skips)" },
	{ "runs", 'n', BENCH_OPT_INT, OFF(runs), 3, 1, BENCH_MAX_RUNS, NULL, "N",
	  "runs of each replay and live row; min/median/max over these" },
	{ "broker", 'b', BENCH_OPT_STR, OFF(broker), 0, 0, 0, NULL, "HOST:PORT",
	  "Kafka bootstrap servers (required)" },
	{ "topic", 't', BENCH_OPT_STR, OFF(topic), 0, 0, 0, NULL, "NAME",
	  "an empty compacted topic for the latency and live rows (required)" },
	{ "replay-topic", 'T', BENCH_OPT_STR, OFF(replay_topic), 0, 0, 0, NULL,
	  "NAME", "an empty compacted topic for the replay rows" },
	{ "key-dir", 'k', BENCH_OPT_STR, OFF(key_dir), 0, 0, 0, NULL, "DIR",
	  "signing key " KEY_ID ".key/.pub, made there if missing; the "
	  "collector's trusted_keys (required)" },
	{ "collector", 'C', BENCH_OPT_STR, OFF(collector), 0, 0, 0, NULL, "PATH",
	  "the xdpwatch-collector binary (required)" },
	{ "netns", 'N', BENCH_OPT_STR, OFF(netns), 0, 0, 0, NULL, "NAME",
	  "network namespace that holds --ifname (required)" },
	{ "ifname", 'i', BENCH_OPT_STR, OFF(ifname), 0, 0, 0, "xwvb0", "IF",
	  "interface in --netns the collector attaches to (default xwvb0)" },
	{ "pin-root", 'p', BENCH_OPT_STR, OFF(pin_root), 0, 0, 0, NULL, "DIR",
	  "the collector's pin_root, must not exist (default "
	  "/sys/fs/bpf/xw-bench-verdicts-<pid>); removed at exit" },
	{ "work-dir", 'w', BENCH_OPT_STR, OFF(work_dir), 0, 0, 0, NULL, "DIR",
	  "collector logs and lock files go here (required)" },
	{ "collector-set", 'S', BENCH_OPT_OTHER, OFF(sets), 0, 0, 0, NULL,
	  "KEY=VALUE", "one more collector setting, after the bench's own "
	  "(repeatable, up to 8), e.g. poll_timeout_ms=20" },
	{ "ttl-s", 'L', BENCH_OPT_INT, OFF(ttl_s), 600, 60, 86400, NULL, "S",
	  "TTL of every verdict" },
	{ "timeout-s", 'W', BENCH_OPT_INT, OFF(timeout_s), 120, 5, 3600, NULL, "S",
	  "longest wait for a row's rules to reach the map" },
	{ "poll-us", 'u', BENCH_OPT_INT, OFF(poll_us), 1000, 50, 100000, NULL, "US",
	  "pause between the map watcher's passes" },
	{ "verbose", 'v', BENCH_OPT_FLAG, OFF(verbose), 0, 0, 0, NULL, NULL,
	  "log debug detail" },
	{ "help", 'h', BENCH_OPT_HELP, 0, 0, 0, 0, NULL, NULL, "this text" },
};

/* --collector-set KEY=VALUE: one more of o->sets. */
static int opt_set(void *opts, const struct bench_opt *r, const char *arg)
{
	struct bench_opts *o = opts;

	if (o->nsets == BENCH_MAX_SETS || !strchr(arg, '=')) {
		fprintf(stderr,
			"xw-bench-verdicts: --%s: KEY=VALUE, at "
			"most %d times\n",
			r->name, BENCH_MAX_SETS);
		return -EINVAL;
	}
	o->sets[o->nsets++] = arg;
	return 0;
}

static const struct bench_cli cli = {
	.prog = "xw-bench-verdicts",
	.about = "Verdict apply rate (verdicts/s from the topic to the maps) and\n"
		 "publish-to-enforce latency of a real xdpwatch-collector against a\n"
		 "real broker. Needs root (the collector attaches XDP; the pinned\n"
		 "maps are read). bench/run-verdicts.sh sets everything up.\n\n",
	.opts = opt_rows,
	.nopts = BENCH_OPTS_N(opt_rows),
	.width = 26,
	.other = opt_set,
};

/* snprintf whose truncation is checked, not warned about. */
static bool fmt_into(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fmt_into(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len;
}

/* ---- statistics ---- */

/* Nearest rank: the smallest value with at least p of them at or below. */
static double pctl(const double *sorted, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);

	return sorted[r ? r - 1 : 0];
}

/* ---- verdicts: address i, rule id, sealed envelope ---- */

struct bench {
	const struct bench_opts *o;
	struct xw_signing_key key;
	char pin_dir[PATH_MAX]; /* <pin_root>/<if>@<netns> */
	char map_path[PATH_MAX]; /* its xw_deny_host_v4 */
	char pin_root[PATH_MAX];
	char lock_dir[PATH_MAX];
	uint64_t rt_off_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	size_t replay_n[BENCH_MAX_REPLAY];
	size_t nreplay;
};

static void addr_of(uint32_t i, uint8_t a[4])
{
	uint32_t be = htonl((198U << 24 | 18U << 16) + i);

	memcpy(a, &be, 4);
}

struct sealed {
	char rule_id[XW_RULE_ID_MAX];
	uint8_t *buf;
	size_t len;
};

static int seal(const struct bench *b, const char *topic, const char *tag,
		uint32_t i, struct sealed *s)
{
	struct xw_verdict_msg *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	m->kind = XW_VERDICT_KIND_VERDICT;
	snprintf(m->rule_id, sizeof(m->rule_id), "%s-%06u", tag, i);
	/* Time as version, as `xdpwatch verdict add` does. */
	m->created_unix_ns = xw_unix_ns();
	m->version = m->created_unix_ns;
	snprintf(m->issuer, sizeof(m->issuer), "xw-bench-verdicts");
	snprintf(m->reason, sizeof(m->reason), "benchmark");
	m->v.src.family = AF_INET;
	m->v.src.len = 32;
	addr_of(i, m->v.src.addr);
	m->v.action = XW_VERDICT_DROP;
	m->v.ttl_s = (uint32_t)b->o->ttl_s;
	m->v.all_hosts = true;
	memcpy(s->rule_id, m->rule_id, sizeof(s->rule_id));
	ret = xw_envelope_seal(m, topic, &b->key, &s->buf, &s->len);
	free(m);
	return ret;
}

static int key_load(struct bench *b)
{
	char path[PATH_MAX], err[512];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.key", b->o->key_dir, KEY_ID);
	if (access(path, F_OK)) {
		ret = xw_keygen(b->o->key_dir, KEY_ID, err, sizeof(err));
		if (ret) {
			pr_err("keygen in %s: %s", b->o->key_dir, err);
			return ret;
		}
		pr_info("made signing key %s in %s", KEY_ID, b->o->key_dir);
	}
	ret = xw_signing_key_load(path, &b->key, err, sizeof(err));
	if (ret)
		pr_err("%s", err);
	return ret;
}

/* ---- the publisher: kafka.c's producer with its own defaults ---- */

/* bootstrap.servers = --broker, alone; NULL when out of memory. */
static struct xw_cfg_kv *broker_kv(const struct bench *b)
{
	struct xw_cfg_kv *kv = calloc(1, sizeof(*kv));

	if (!kv)
		return NULL;
	kv->count = 1;
	snprintf(kv->key[0], sizeof(kv->key[0]), "bootstrap.servers");
	snprintf(kv->value[0], sizeof(kv->value[0]), "%s", b->o->broker);
	return kv;
}

static int producer_open(const struct bench *b, const char *topic,
			 struct xw_producer **p)
{
	struct xw_cfg_kv *kv = broker_kv(b);
	char err[512];
	int ret;

	if (!kv)
		return -ENOMEM;
	ret = xw_producer__new(p, kv, topic, err, sizeof(err));
	if (!ret)
		ret = xw_producer__check(*p, 10000, err, sizeof(err));
	if (ret)
		pr_err("kafka: %s", err);
	free(kv);
	return ret;
}

static uint64_t queue_full_waits;

/* Hand one envelope to librdkafka; a full local queue is waited out. */
static int produce(struct xw_producer *p, const struct sealed *s)
{
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", ENVELOPE_SCHEMA_NAME },
		{ "schema_version", "1" },
	};
	int ret;

	for (;;) {
		ret = xw_producer__produce(p, s->rule_id, strlen(s->rule_id),
					   s->buf, s->len, 1, hdrs, 2);
		if (ret != -ENOBUFS || bench_stop)
			return ret;
		queue_full_waits++;
		xw_producer__poll(p);
		bench_sleep_us(100);
	}
}

/* Wait until the broker has acknowledged everything produced so far. */
static int producer_settle(struct xw_producer *p)
{
	const struct xw_producer_stats *st;
	int ret = xw_producer__flush(p, 60000);

	st = xw_producer__stats(p);
	if (ret || st->msgs_failed)
		pr_err("kafka: %llu of %llu verdicts not delivered",
		       (unsigned long long)(st->msgs_produced -
					    st->msgs_delivered),
		       (unsigned long long)st->msgs_produced);
	return ret ? ret : st->msgs_failed ? -EIO : 0;
}

/* Publish addresses from..to-1 on p's topic and wait for the broker. */
static int publish_range(const struct bench *b, struct xw_producer *p,
			 const char *topic, const char *tag, uint32_t from,
			 uint32_t to)
{
	int ret = 0;

	for (uint32_t i = from; i < to && !ret && !bench_stop; i++) {
		struct sealed s;

		ret = seal(b, topic, tag, i, &s);
		if (!ret)
			ret = produce(p, &s);
		free(s.buf);
		xw_producer__poll(p);
	}
	if (!ret)
		ret = producer_settle(p);
	return bench_stop ? -EINTR : ret;
}

/* A fresh topic: nothing on it, or the rows mean something else. */
static int topic_check_empty(const struct bench *b, const char *topic)
{
	struct xw_cfg_kv *kv = broker_kv(b);
	struct xw_consumer *c = NULL;
	char err[512];
	int ret;

	if (!kv)
		return -ENOMEM;
	ret = xw_consumer__new_all(&c, kv, topic, 10000, err, sizeof(err));
	free(kv);
	if (ret) {
		pr_err("kafka: %s", err);
		return ret;
	}
	if (!xw_consumer__caught_up(c)) {
		pr_err("topic %s is not empty: give a fresh one", topic);
		ret = -EEXIST;
	}
	xw_consumer__destroy(c);
	return ret;
}

/* ---- the collector, as a child process with its log in a file ---- */

struct collector {
	pid_t pid;
	char log[PATH_MAX];
	FILE *f;
	char part[2048]; /* a line read before its writer finished it */
	size_t plen;
};

static struct collector *running; /* for the exit path */

static int collector__start(struct collector *c, const struct bench *b,
			    const char *topic, const char *tag)
{
	const struct bench_opts *o = b->o;
	char set[10][PATH_MAX + 64];
	char *argv[40 + 2 * BENCH_MAX_SETS];
	int fd, n = 0, k = 0;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (!fmt_into(c->log, sizeof(c->log), "%s/collector-%s.log",
		      o->work_dir, tag))
		return -ENAMETOOLONG;
	fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_err("%s: %s", c->log, strerror(errno));
		return -errno;
	}
	fmt_into(set[k++], sizeof(set[0]), "pin_root=%s", b->pin_root);
	fmt_into(set[k++], sizeof(set[0]), "lock_dir=%s", b->lock_dir);
	fmt_into(set[k++], sizeof(set[0]), "kafka.bootstrap.servers=%s",
		 o->broker);
	fmt_into(set[k++], sizeof(set[0]), "trusted_keys=%s", o->key_dir);
	fmt_into(set[k++], sizeof(set[0]), "verdicts_topic=%s", topic);
	snprintf(set[k++], sizeof(set[0]), "rule_budget=%d", RULE_BUDGET);
	snprintf(set[k++], sizeof(set[0]), "verdict_max_ttl_s=%lld",
		 o->ttl_s);
	snprintf(set[k++], sizeof(set[0]), "log_level=info");
	snprintf(set[k++], sizeof(set[0]), "host_id=xw-bench-verdicts");
	argv[n++] = (char *)o->collector;
	argv[n++] = "--interface";
	argv[n++] = (char *)o->ifname;
	argv[n++] = "--netns";
	argv[n++] = (char *)o->netns;
	argv[n++] = "--output";
	argv[n++] = "none";
	argv[n++] = "--sample-rate";
	argv[n++] = "0";
	for (int i = 0; i < k; i++) {
		argv[n++] = "--set";
		argv[n++] = set[i];
	}
	for (int i = 0; i < o->nsets; i++) {
		argv[n++] = "--set";
		argv[n++] = (char *)o->sets[i];
	}
	argv[n] = NULL;

	c->pid = fork();
	if (c->pid < 0) {
		pr_err("fork: %s", strerror(errno));
		close(fd);
		return -errno;
	}
	if (c->pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(o->collector, argv);
		fprintf(stderr, "exec %s: %s\n", o->collector, strerror(errno));
		_exit(127);
	}
	close(fd);
	c->f = fopen(c->log, "r");
	if (!c->f) {
		pr_err("%s: %s", c->log, strerror(errno));
		return -errno;
	}
	running = c;
	pr_debug("collector pid %d started, log %s", (int)c->pid, c->log);
	return 0;
}

/*
 * The next whole log line containing needle, into line. -ETIMEDOUT after
 * timeout_s, -ECHILD when the collector exited first.
 */
static int collector__wait_line(struct collector *c, const char *needle,
				char *line, size_t len, double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);

	for (;;) {
		int ch;

		while ((ch = fgetc(c->f)) != EOF) {
			if (c->plen < sizeof(c->part) - 1)
				c->part[c->plen++] = (char)ch;
			if (ch != '\n')
				continue;
			c->part[c->plen] = '\0';
			c->plen = 0;
			if (strstr(c->part, " error: ") ||
			    strstr(c->part, " warn: "))
				pr_warn("collector: %.*s",
					(int)strcspn(c->part, "\n"), c->part);
			if (strstr(c->part, needle)) {
				fmt_into(line, len, "%s", c->part);
				return 0;
			}
		}
		clearerr(c->f);
		if (c->pid > 0 && waitpid(c->pid, NULL, WNOHANG) == c->pid) {
			c->pid = -1;
			pr_err("the collector exited; see %s", c->log);
			return -ECHILD;
		}
		if (bench_stop)
			return -EINTR;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		bench_sleep_us(2000);
	}
}

static void collector__stop(struct collector *c)
{
	uint64_t deadline;

	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		/* It flushes its Kafka producer for up to 10 s. */
		deadline = bench_now_ns() + 20000000000ULL;
		while (waitpid(c->pid, NULL, WNOHANG) == 0) {
			if (bench_now_ns() > deadline) {
				pr_warn("collector pid %d ignores SIGTERM; "
					"killing it",
					(int)c->pid);
				kill(c->pid, SIGKILL);
				waitpid(c->pid, NULL, 0);
				break;
			}
			bench_sleep_us(5000);
		}
	}
	c->pid = -1;
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	if (running == c)
		running = NULL;
}

/* The collector leaves its maps pinned on exit: the next run starts bare. */
static void pins__remove(const struct bench *b)
{
	DIR *d = opendir(b->pin_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (rmdir(b->pin_dir) && errno != ENOENT)
		pr_warn("rmdir %s: %s", b->pin_dir, strerror(errno));
}

/* ---- the map watcher ---- */

enum watch_mode {
	WATCH_EACH, /* every published key not yet seen, each pass */
	WATCH_CURSOR, /* in order, a pass stops at the first key missing */
};

struct watch {
	const struct bench *b;
	enum watch_mode mode;
	bool wait_nonempty; /* first note when the map gets its first entry */
	uint32_t first; /* address index of key 0 */
	size_t n;
	_Atomic size_t published; /* keys 0..published-1 may be looked for */
	uint64_t *t_pub, *t_seen; /* CLOCK_MONOTONIC ns; 0 not yet */
	uint64_t t_nonempty, t_last;
	size_t seen;
	_Atomic bool stop;
	_Atomic uint64_t deadline;
	uint64_t lookups, passes;
	int err;
	pthread_t th;
};

static bool key_present(int fd, uint32_t i)
{
	struct xw_lpm_v4 k = { .prefixlen = 32 };
	struct xw_rule r;

	addr_of(i, k.addr);
	return bpf_map_lookup_elem(fd, &k, &r) == 0 &&
	       r.origin == XW_ORIGIN_VERDICT && r.action == XW_RULE_DROP;
}

static void *watch_thread(void *arg)
{
	struct watch *w = arg;
	size_t lo = 0;
	int fd = -1;

	/* The maps are pinned when the collector attaches. */
	while (fd < 0) {
		fd = bpf_obj_get(w->b->map_path);
		if (fd >= 0)
			break;
		if (atomic_load(&w->stop) || bench_now_ns() > atomic_load(&w->deadline)) {
			w->err = -ENOENT;
			return NULL;
		}
		bench_sleep_us(1000);
	}
	while (w->wait_nonempty && !w->t_nonempty) {
		struct xw_lpm_v4 k;

		if (bpf_map_get_next_key(fd, NULL, &k) == 0) {
			w->t_nonempty = bench_now_ns();
			break;
		}
		if (atomic_load(&w->stop) || bench_now_ns() > atomic_load(&w->deadline)) {
			w->err = -ETIMEDOUT;
			goto out;
		}
		bench_sleep_us(w->b->o->poll_us);
	}
	while (w->seen < w->n) {
		size_t npub = atomic_load(&w->published);

		w->passes++;
		if (w->mode == WATCH_CURSOR) {
			while (lo < npub) {
				w->lookups++;
				if (!key_present(fd, w->first + (uint32_t)lo))
					break;
				w->t_seen[lo++] = bench_now_ns();
				w->seen++;
			}
		} else {
			for (size_t i = lo; i < npub; i++) {
				if (w->t_seen[i])
					continue;
				w->lookups++;
				if (key_present(fd, w->first + (uint32_t)i)) {
					w->t_seen[i] = bench_now_ns();
					w->seen++;
				}
			}
			while (lo < npub && w->t_seen[lo])
				lo++;
		}
		if (w->seen == w->n)
			break;
		if (atomic_load(&w->stop) || bench_now_ns() > atomic_load(&w->deadline)) {
			w->err = -ETIMEDOUT;
			break;
		}
		bench_sleep_us(w->b->o->poll_us);
	}
	for (size_t i = 0; i < w->n; i++)
		if (w->t_seen[i] > w->t_last)
			w->t_last = w->t_seen[i];
out:
	close(fd);
	return NULL;
}

static int watch__start(struct watch *w, const struct bench *b,
			enum watch_mode mode, uint32_t first, size_t n,
			size_t published, bool wait_nonempty)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->b = b;
	w->mode = mode;
	w->first = first;
	w->n = n;
	w->wait_nonempty = wait_nonempty;
	atomic_store(&w->published, published);
	atomic_store(&w->deadline, UINT64_MAX);
	w->t_pub = calloc(n, sizeof(*w->t_pub));
	w->t_seen = calloc(n, sizeof(*w->t_seen));
	if (!w->t_pub || !w->t_seen)
		return -ENOMEM;
	ret = pthread_create(&w->th, NULL, watch_thread, w);
	return -ret;
}

/* Give the watcher timeout_s more, then wait for it. */
static void watch__join(struct watch *w, double timeout_s)
{
	atomic_store(&w->deadline, bench_now_ns() + (uint64_t)(timeout_s * 1e9));
	while (!bench_stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(w->th, NULL, &ts) == 0)
			return;
	}
	atomic_store(&w->stop, true);
	pthread_join(w->th, NULL);
}

static void watch__free(struct watch *w)
{
	free(w->t_pub);
	free(w->t_seen);
	w->t_pub = w->t_seen = NULL;
}

/* ---- the rows ---- */

struct latency_row {
	bool done;
	size_t n, seen;
	double med, p95, p99, max, min; /* ms, map */
	size_t log_n;
	double log_med, log_p99; /* ms, the collector's "applied" lines */
	double pub_s; /* how long publishing took */
	double warm_ms; /* the warm-up verdict, right after the start */
	uint64_t lookups, passes;
};

struct rate_row {
	char label[40];
	size_t n;
	size_t nruns;
	bool live;
	/* per run, seconds */
	double to_first[BENCH_MAX_RUNS]; /* replay: start to first rule */
	double read_s[BENCH_MAX_RUNS]; /* replay: the collector's own */
	double apply[BENCH_MAX_RUNS]; /* replay: first rule to last */
	double produce[BENCH_MAX_RUNS]; /* live: all handed to librdkafka */
	double acked[BENCH_MAX_RUNS]; /* live: all acknowledged */
	double total[BENCH_MAX_RUNS]; /* start/first produce to last rule */
	double rate[BENCH_MAX_RUNS]; /* n / total */
	double lat_med[BENCH_MAX_RUNS], lat_max[BENCH_MAX_RUNS]; /* live, ms */
	char note[160];
};

#define MAX_RATE_ROWS (BENCH_MAX_REPLAY + 1)
static struct rate_row rate_rows[MAX_RATE_ROWS];
static size_t nrate_rows;
static struct latency_row lat;

/* "HH:MM:SS.mmm" (UTC, log.c) in ms of the day, or -1. */
static long log_stamp_ms(const char *line)
{
	int h, m, s, ms;

	if (sscanf(line, "%2d:%2d:%2d.%3d", &h, &m, &s, &ms) != 4)
		return -1;
	return ((h * 60L + m) * 60 + s) * 1000 + ms;
}

/* The collector's "verdict <tag>-<i> version V applied as rule N" lines. */
static void latency_from_log(const struct bench *b, const char *log,
			     const char *tag, const struct watch *w,
			     struct latency_row *r)
{
	FILE *f = fopen(log, "r");
	double *d = calloc(w->n, sizeof(*d));
	char line[1024], pat[64];
	size_t n = 0;

	if (!f || !d)
		goto out;
	snprintf(pat, sizeof(pat), "verdict %s-", tag);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, pat);
		unsigned int i;
		long stamp, pub;
		double ms;

		if (!p || !strstr(p, " applied as rule ") ||
		    sscanf(p + strlen(pat), "%u", &i) != 1 || i < w->first ||
		    i - w->first >= w->n || !w->t_pub[i - w->first])
			continue;
		stamp = log_stamp_ms(line);
		pub = (long)(((w->t_pub[i - w->first] + b->rt_off_ns) /
			      1000000ULL) % 86400000ULL);
		if (stamp < 0)
			continue;
		ms = (double)(stamp - pub);
		if (ms < -43200000)
			ms += 86400000; /* past midnight */
		/* The stamp is truncated to the ms, the publish time not. */
		d[n++] = ms + 0.5;
	}
	qsort(d, n, sizeof(*d), bench_cmp_double);
	r->log_n = n;
	if (n) {
		r->log_med = pctl(d, n, 0.5);
		r->log_p99 = pctl(d, n, 0.99);
	}
out:
	if (f)
		fclose(f);
	free(d);
}

/* Each verdict's publish time and latency, for a look at the pattern. */
static void latency_csv(const struct bench *b, const struct watch *w,
			uint64_t t0)
{
	char path[PATH_MAX];
	FILE *f;

	if (!fmt_into(path, sizeof(path), "%s/latency.csv", b->o->work_dir) ||
	    !(f = fopen(path, "w")))
		return;
	fprintf(f, "i,published_ms,latency_ms\n");
	for (size_t i = 0; i < w->n; i++)
		if (w->t_pub[i])
			fprintf(f, "%zu,%.3f,%.3f\n", i,
				(double)(w->t_pub[i] - t0) / 1e6,
				w->t_seen[i] ? (double)(w->t_seen[i] -
							w->t_pub[i]) / 1e6 :
					       -1.0);
	fclose(f);
}

static int run_latency(struct bench *b, struct collector *c,
		       struct xw_producer *p, uint32_t first)
{
	const struct bench_opts *o = b->o;
	size_t n = (size_t)o->count;
	struct watch w;
	uint64_t t0, period = 1000000000ULL / (uint64_t)o->rate;
	double *d;
	int ret;

	pr_info("latency: %zu verdicts at %lld/s", n, o->rate);
	ret = watch__start(&w, b, WATCH_EACH, first, n, 0, false);
	if (ret)
		return ret;
	t0 = bench_now_ns();
	for (size_t i = 0; i < n && !ret && !bench_stop; i++) {
		uint64_t at = t0 + i * period;
		struct timespec ts = { (time_t)(at / 1000000000ULL),
				       (long)(at % 1000000000ULL) };
		struct sealed s;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR && !bench_stop)
			;
		ret = seal(b, o->topic, "lat", first + (uint32_t)i, &s);
		if (ret)
			break;
		w.t_pub[i] = bench_now_ns();
		ret = produce(p, &s);
		free(s.buf);
		atomic_store(&w.published, i + 1);
		xw_producer__poll(p);
	}
	if (!ret)
		ret = producer_settle(p);
	lat.pub_s = (double)(bench_now_ns() - t0) / 1e9;
	watch__join(&w, (double)o->timeout_s);

	d = calloc(n, sizeof(*d));
	if (!d) {
		watch__free(&w);
		return -ENOMEM;
	}
	lat.n = n;
	for (size_t i = 0; i < n; i++)
		if (w.t_seen[i] && w.t_pub[i])
			d[lat.seen++] = (double)(w.t_seen[i] - w.t_pub[i]) / 1e6;
	qsort(d, lat.seen, sizeof(*d), bench_cmp_double);
	if (lat.seen) {
		lat.min = d[0];
		lat.med = pctl(d, lat.seen, 0.5);
		lat.p95 = pctl(d, lat.seen, 0.95);
		lat.p99 = pctl(d, lat.seen, 0.99);
		lat.max = d[lat.seen - 1];
	}
	latency_csv(b, &w, t0);
	lat.lookups = w.lookups;
	lat.passes = w.passes;
	lat.done = !ret && lat.seen == n;
	if (lat.seen < n)
		pr_err("latency: %zu of %zu rules never reached the map within "
		       "%lld s",
		       n - lat.seen, n, o->timeout_s);
	free(d);
	latency_from_log(b, c->log, "lat", &w, &lat);
	watch__free(&w);
	return ret ? ret : lat.done ? 0 : -ETIMEDOUT;
}

static int run_live(struct bench *b, struct xw_producer *p, uint32_t first,
		    struct rate_row *r)
{
	const struct bench_opts *o = b->o;
	size_t n = (size_t)o->live_count, k = r->nruns;
	struct sealed *s = calloc(n, sizeof(*s));
	uint64_t t0, t_prod, t_ack;
	struct watch w;
	double *d = NULL;
	size_t nd = 0;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	/* Signing is the publisher's business: done before the clock runs. */
	for (size_t i = 0; i < n && !ret; i++)
		ret = seal(b, o->topic, "live", first + (uint32_t)i, &s[i]);
	if (!ret)
		ret = watch__start(&w, b, WATCH_CURSOR, first, n, 0, false);
	if (ret)
		goto out;
	pr_info("live run %zu: %zu verdicts at once", k + 1, n);
	t0 = bench_now_ns();
	for (size_t i = 0; i < n && !ret; i++) {
		w.t_pub[i] = bench_now_ns();
		ret = produce(p, &s[i]);
		atomic_store(&w.published, i + 1);
		xw_producer__poll(p);
	}
	t_prod = bench_now_ns();
	if (!ret)
		ret = producer_settle(p);
	t_ack = bench_now_ns();
	watch__join(&w, (double)o->timeout_s);
	if (!ret && w.seen < n) {
		pr_err("live: %zu of %zu rules never reached the map within "
		       "%lld s",
		       n - w.seen, n, o->timeout_s);
		ret = -ETIMEDOUT;
	}
	if (!ret) {
		d = calloc(n, sizeof(*d));
		for (size_t i = 0; d && i < n; i++)
			d[nd++] = (double)(w.t_seen[i] - w.t_pub[i]) / 1e6;
		if (d)
			qsort(d, nd, sizeof(*d), bench_cmp_double);
		r->produce[k] = (double)(t_prod - t0) / 1e9;
		r->acked[k] = (double)(t_ack - t0) / 1e9;
		r->total[k] = (double)(w.t_last - t0) / 1e9;
		r->rate[k] = (double)n / r->total[k];
		r->lat_med[k] = nd ? pctl(d, nd, 0.5) : NAN;
		r->lat_max[k] = nd ? d[nd - 1] : NAN;
		r->nruns++;
		pr_info("live run %zu: all %zu in the map after %.3f s "
			"(%.0f verdicts/s)",
			k + 1, n, r->total[k], r->rate[k]);
	}
	watch__free(&w);
out:
	for (size_t i = 0; i < n; i++)
		free(s[i].buf);
	free(s);
	free(d);
	return ret;
}

static int run_replay(struct bench *b, size_t n, struct rate_row *r)
{
	const struct bench_opts *o = b->o;
	size_t k = r->nruns;
	unsigned long long got = 0, refused = 0;
	unsigned int live = 0;
	struct collector c;
	char line[1024], tag[48];
	double read_s = NAN;
	struct watch w;
	uint64_t t0;
	const char *p;
	int ret;

	pins__remove(b);
	snprintf(tag, sizeof(tag), "replay-%zu-run%zu", n, k + 1);
	ret = watch__start(&w, b, WATCH_CURSOR, 0, n, n, true);
	if (ret)
		return ret;
	atomic_store(&w.deadline, bench_now_ns() + (uint64_t)o->timeout_s * 1000000000ULL);
	t0 = bench_now_ns();
	ret = collector__start(&c, b, o->replay_topic, tag);
	if (!ret)
		ret = collector__wait_line(&c, "verdicts: read ", line,
					   sizeof(line), (double)o->timeout_s);
	if (!ret && (p = strstr(line, "verdicts: read ")) &&
	    sscanf(p, "verdicts: read %llu messages in %lf s; %u rules live, "
		      "%llu refused",
		   &got, &read_s, &live, &refused) != 4)
		pr_warn("cannot parse: %s", line);
	watch__join(&w, (double)o->timeout_s);
	collector__stop(&c);
	pins__remove(b);
	if (!ret && (w.err || w.seen < n)) {
		pr_err("replay %zu: %zu of %zu rules in the map (%s)", n, w.seen,
		       n, strerror(-(w.err ? w.err : ETIMEDOUT)));
		ret = -ETIMEDOUT;
	}
	if (!ret && (got != n || live != n || refused))
		fmt_into(r->note, sizeof(r->note),
			 "the collector read %llu, has %u live, refused %llu "
			 "(see %s)",
			 got, live, refused, c.log);
	if (!ret) {
		r->to_first[k] = (double)(w.t_nonempty - t0) / 1e9;
		r->read_s[k] = read_s;
		r->apply[k] = (double)(w.t_last - w.t_nonempty) / 1e9;
		r->total[k] = (double)(w.t_last - t0) / 1e9;
		r->rate[k] = (double)n / r->total[k];
		r->nruns++;
		pr_info("replay %zu run %zu: first rule at %.3f s, all at %.3f s "
			"(%.0f verdicts/s); the collector read for %.3f s",
			n, k + 1, r->to_first[k], r->total[k], r->rate[k],
			read_s);
	}
	watch__free(&w);
	return ret;
}

/* ---- the table ---- */

static const char *holds(bool ok)
{
	return ok ? "yes" : "NO";
}

static void print_table(const struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct utsname u;

	uname(&u);
	printf("\nxw-bench-verdicts: kernel %s, %ld CPUs; broker %s; collector "
	       "%s\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), o->broker,
	       o->collector);
	printf("verdicts: drop one /32 in 198.18.0.0/15, all hosts, TTL %lld s, "
	       "Ed25519-signed; rule_budget %d; map watched every %lld us\n",
	       o->ttl_s, RULE_BUDGET, o->poll_us);
	printf("collector settings: the defaults (poll_timeout_ms 100), "
	       "sample_rate 0, output none");
	for (int i = 0; i < o->nsets; i++)
		printf(", %s", o->sets[i]);
	printf("\n");

	printf("\n%-44s %12s %12s %5s\n", "measure", "value", "goal", "holds");
	if (lat.seen) {
		char what[64];

		snprintf(what, sizeof(what), "publish->enforce median, %zu at %lld/s",
			 lat.n, o->rate);
		printf("%-44s %9.1f ms %9s ms %5s\n", what, lat.med, "<= 200",
		       lat.done ? holds(lat.med <= GOAL_MEDIAN_MS) : "part");
		printf("%-44s %9.1f ms %12s %5s\n", "publish->enforce p95",
		       lat.p95, "", "");
		printf("%-44s %9.1f ms %9s ms %5s\n", "publish->enforce p99",
		       lat.p99, "<= 1000",
		       lat.done ? holds(lat.p99 <= GOAL_P99_MS) : "part");
		printf("%-44s %9.1f ms %12s %5s\n", "publish->enforce max",
		       lat.max, "", "");
	} else if (o->count) {
		printf("%-44s %12s\n", "publish->enforce", "not measured");
	}
	for (size_t i = 0; i < nrate_rows; i++) {
		const struct rate_row *r = &rate_rows[i];
		struct bench_spread s = bench_spread_of(r->rate, r->nruns);
		char what[64];

		fmt_into(what, sizeof(what), "apply rate, %s (median of %zu)",
			 r->label, r->nruns);
		if (!r->nruns) {
			printf("%-44s %12s\n", what, "not measured");
			continue;
		}
		printf("%-44s %10.0f/s %8.0f/s %5s\n", what, s.med, GOAL_RATE,
		       holds(s.med >= GOAL_RATE));
	}

	if (lat.seen) {
		printf("\nlatency, ms: min %.1f, median %.1f, p95 %.1f, p99 %.1f, "
		       "max %.1f over %zu of %zu verdicts (map lookups)\n",
		       lat.min, lat.med, lat.p95, lat.p99, lat.max, lat.seen,
		       lat.n);
		if (lat.log_n)
			printf("  the collector's 'applied as rule' lines: median "
			       "%.0f ms, p99 %.0f ms over %zu (log stamps, whole "
			       "ms)\n",
			       lat.log_med, lat.log_p99, lat.log_n);
		printf("  publishing took %.1f s; the watcher made %llu passes, "
		       "%llu lookups; the warm-up verdict before it: %.1f ms\n",
		       lat.pub_s, (unsigned long long)lat.passes,
		       (unsigned long long)lat.lookups, lat.warm_ms);
	}
	if (nrate_rows)
		printf("\nrate rows, seconds: min/median/max over runs\n");
	for (size_t i = 0; i < nrate_rows; i++) {
		const struct rate_row *r = &rate_rows[i];
		struct bench_spread t = bench_spread_of(r->total, r->nruns);
		struct bench_spread v = bench_spread_of(r->rate, r->nruns);

		if (!r->nruns)
			continue;
		printf("%-18s n=%-6zu runs=%zu  to all in map %.3f/%.3f/%.3f s  "
		       "= %.0f/%.0f/%.0f verdicts/s\n",
		       r->label, r->n, r->nruns, t.min, t.med, t.max, v.min,
		       v.med, v.max);
		if (r->live) {
			struct bench_spread pr = bench_spread_of(r->produce, r->nruns);
			struct bench_spread ac = bench_spread_of(r->acked, r->nruns);
			struct bench_spread lm = bench_spread_of(r->lat_med, r->nruns);
			struct bench_spread lx = bench_spread_of(r->lat_max, r->nruns);

			printf("    produced %.3f/%.3f/%.3f s, acknowledged "
			       "%.3f/%.3f/%.3f s; each verdict's publish->map: "
			       "median %.0f ms, max %.0f ms (medians of runs)\n",
			       pr.min, pr.med, pr.max, ac.min, ac.med, ac.max,
			       lm.med, lx.med);
		} else {
			struct bench_spread f = bench_spread_of(r->to_first, r->nruns);
			struct bench_spread rd = bench_spread_of(r->read_s, r->nruns);
			struct bench_spread ap = bench_spread_of(r->apply, r->nruns);

			printf("    start->first rule (startup + read) "
			       "%.3f/%.3f/%.3f s, of which the collector's read "
			       "%.3f/%.3f/%.3f s; first->last rule (apply) "
			       "%.3f/%.3f/%.3f s = %.0f rules/s\n",
			       f.min, f.med, f.max, rd.min, rd.med, rd.max,
			       ap.min, ap.med, ap.max,
			       ap.med > 0 ? (double)r->n / ap.med : NAN);
		}
		if (r->note[0])
			printf("    note: %s\n", r->note);
	}
	if (queue_full_waits)
		printf("\nthe producer's local queue was full %llu times "
		       "(waited out)\n",
		       (unsigned long long)queue_full_waits);
}

/* ---- main ---- */

static struct bench *cleanup_b;

static void cleanup_atexit(void)
{
	if (running)
		collector__stop(running);
	if (cleanup_b) {
		pins__remove(cleanup_b);
		rmdir(cleanup_b->pin_root);
	}
}

static int replay_parse(struct bench *b)
{
	const char *s = b->o->replay;
	size_t prev = 0;

	while (s && *s) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || end == s || v < 1 || v > RULE_BUDGET ||
		    (size_t)v <= prev || b->nreplay == BENCH_MAX_REPLAY ||
		    (*end && *end != ',')) {
			pr_err("--replay '%s': up to %d ascending counts in "
			       "1..%d, comma-separated",
			       b->o->replay, BENCH_MAX_REPLAY, RULE_BUDGET);
			return -EINVAL;
		}
		b->replay_n[b->nreplay++] = prev = (size_t)v;
		s = *end ? end + 1 : end;
	}
	return 0;
}

static int check_opts(struct bench *b)
{
	const struct bench_opts *o = b->o;
	const char *need[] = { o->broker, o->topic, o->key_dir, o->collector,
			       o->netns, o->work_dir };
	const char *names[] = { "broker", "topic", "key-dir", "collector",
				"netns", "work-dir" };
	struct timespec rt, mt;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!need[i] || !*need[i]) {
			pr_err("--%s is required (see --help)", names[i]);
			return -EINVAL;
		}
	if (replay_parse(b))
		return -EINVAL;
	if (b->nreplay && (!o->replay_topic || !*o->replay_topic)) {
		pr_err("--replay-topic is required for the replay rows");
		return -EINVAL;
	}
	if (o->count + o->runs * o->live_count + 1 > RULE_BUDGET) {
		pr_err("count + runs * live-count + 1 (warm-up) = %lld: over "
		       "the rule budget of %d",
		       o->count + o->runs * o->live_count + 1, RULE_BUDGET);
		return -EINVAL;
	}
	if (access(o->collector, X_OK)) {
		pr_err("%s: %s", o->collector, strerror(errno));
		return -errno;
	}
	if (o->pin_root)
		snprintf(b->pin_root, sizeof(b->pin_root), "%s", o->pin_root);
	else
		snprintf(b->pin_root, sizeof(b->pin_root),
			 "/sys/fs/bpf/xw-bench-verdicts-%d", (int)getpid());
	if (!access(b->pin_root, F_OK)) {
		pr_err("%s exists: the pin root must be new (it is removed at "
		       "exit)",
		       b->pin_root);
		return -EEXIST;
	}
	if (!fmt_into(b->pin_dir, sizeof(b->pin_dir), "%s/%s@%s", b->pin_root,
		      o->ifname,
		      strrchr(o->netns, '/') ? strrchr(o->netns, '/') + 1 :
					       o->netns) ||
	    !fmt_into(b->map_path, sizeof(b->map_path), "%s/xw_deny_host_v4",
		      b->pin_dir) ||
	    !fmt_into(b->lock_dir, sizeof(b->lock_dir), "%s/lock",
		      o->work_dir)) {
		pr_err("paths too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(b->lock_dir, 0700) && errno != EEXIST) {
		pr_err("%s: %s", b->lock_dir, strerror(errno));
		return -errno;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	b->rt_off_ns = ((uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec) -
		       ((uint64_t)mt.tv_sec * 1000000000ULL + (uint64_t)mt.tv_nsec);
	return 0;
}

/*
 * One verdict, to the last address of the range, right after the
 * collector caught up on the empty topic: its first fetches after start
 * hold the first messages back for up to a second (seen here), a start
 * transient that is not the steady state the latency row is about.
 */
static int run_warmup(struct bench *b, struct xw_producer *p)
{
	struct sealed s;
	struct watch w;
	int ret;

	ret = watch__start(&w, b, WATCH_EACH, ADDR_SPAN - 1, 1, 0, false);
	if (ret)
		return ret;
	ret = seal(b, b->o->topic, "warm", ADDR_SPAN - 1, &s);
	if (!ret) {
		w.t_pub[0] = bench_now_ns();
		ret = produce(p, &s);
		free(s.buf);
		atomic_store(&w.published, 1);
	}
	if (!ret)
		ret = producer_settle(p);
	watch__join(&w, 30);
	if (!ret && !w.seen)
		ret = -ETIMEDOUT;
	if (!ret) {
		lat.warm_ms = (double)(w.t_seen[0] - w.t_pub[0]) / 1e6;
		pr_info("warm-up verdict in the map after %.1f ms", lat.warm_ms);
	} else {
		pr_err("the warm-up verdict did not reach the map: %s",
		       strerror(-ret));
	}
	watch__free(&w);
	return ret;
}

/* The latency row, then the live rows, on one collector. */
static int run_online(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xw_producer *p = NULL;
	struct collector c = { .pid = -1 };
	struct rate_row *r = NULL;
	char line[1024];
	uint32_t next = 0;
	int ret;

	ret = topic_check_empty(b, o->topic);
	if (!ret)
		ret = producer_open(b, o->topic, &p);
	if (ret)
		return ret;
	if (o->live_count) {
		r = &rate_rows[nrate_rows++];
		snprintf(r->label, sizeof(r->label), "live %lld",
			 o->live_count);
		r->n = (size_t)o->live_count;
		r->live = true;
	}
	pins__remove(b);
	ret = collector__start(&c, b, o->topic, "online");
	if (!ret)
		ret = collector__wait_line(&c, "verdicts: read ", line,
					   sizeof(line), 60);
	if (ret)
		goto out;
	pr_info("collector caught up: %s", strchr(line, 'v'));
	ret = run_warmup(b, p);
	if (ret)
		goto out;
	bench_sleep_us(1000000);
	if (o->count) {
		ret = run_latency(b, &c, p, next);
		next += (uint32_t)o->count;
	}
	for (long long k = 0; r && k < o->runs && !bench_stop; k++) {
		int rr = run_live(b, p, next, r);

		next += (uint32_t)o->live_count;
		if (rr && !ret)
			ret = rr;
		if (rr)
			break;
	}
out:
	collector__stop(&c);
	pins__remove(b);
	xw_producer__destroy(p);
	return bench_stop ? -EINTR : ret;
}

static int run_replays(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct xw_producer *p = NULL;
	size_t on_topic = 0;
	int ret;

	ret = topic_check_empty(b, o->replay_topic);
	if (!ret)
		ret = producer_open(b, o->replay_topic, &p);
	if (ret)
		return ret;
	for (size_t i = 0; i < b->nreplay && !ret && !bench_stop; i++) {
		struct rate_row *r = &rate_rows[nrate_rows++];
		size_t n = b->replay_n[i];

		snprintf(r->label, sizeof(r->label), "replay %zu at start", n);
		r->n = n;
		pr_info("replay: publishing %zu more verdicts (%zu on the topic)",
			n - on_topic, n);
		ret = publish_range(b, p, o->replay_topic, "rep",
				    (uint32_t)on_topic, (uint32_t)n);
		if (ret)
			break;
		on_topic = n;
		for (long long k = 0; k < o->runs && !ret && !bench_stop; k++)
			ret = run_replay(b, n, r);
	}
	xw_producer__destroy(p);
	return bench_stop ? -EINTR : ret;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench b = { .o = &o };
	int err, status = 0;

	err = bench_opts__parse(&cli, &o, sizeof(o), argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	xw_log_set_program("xw-bench-verdicts");
	if (o.verbose)
		xw_log_set_level(XW_LOG_DEBUG);
	if (check_opts(&b))
		return 2;
	if (key_load(&b))
		return 1;

	bench_signals__install(); /* the waits end with EINTR */
	signal(SIGPIPE, SIG_IGN);
	cleanup_b = &b;
	atexit(cleanup_atexit);

	if (o.count || o.live_count) {
		err = run_online(&b);
		if (err)
			status = 1;
	}
	if (b.nreplay && !bench_stop) {
		err = run_replays(&b);
		if (err)
			status = 1;
	}
	memset(&b.key, 0, sizeof(b.key));
	print_table(&b);
	if (bench_stop) {
		pr_warn("interrupted: the table above is partial");
		status = 130;
	}
	return status;
}
