// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpwatch-collector - attach the XDP program to interfaces, drain its ring
 * buffers, write the records out and report what was seen and lost.
 *
 * Settings come from one table (xw_collector_opts, options.c): defaults, then the
 * libconfig file, then command-line overrides, in that order.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "batcher.h"
#include "config.h"
#include "counters.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "options.h"
#include "output.h"
#include "pinned.h"
#include "promstats.h"
#include "record_json.h"
#include "rules.h"
#include "rulestats.h"
#include "verdicts.h"

#define MAX_IFACES XW_CFG_LIST_MAX


static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xdpwatch-collector [options]\n"
		"\n"
		"Attach the xdpwatch XDP program to interfaces, count every packet,\n"
		"drop what the pinned rules say, and write sampled feature records.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE       libconfig file (see config/collector.cfg)\n"
		"  -i, --interface IF      attach to IF (repeat for more); replaces\n"
		"                          the file's interfaces\n"
		"  -s, --sample-rate N     1 record per N packets (0 none)\n"
		"  -m, --mode MODE         auto, native or generic\n"
		"  -n, --netns NS          the interfaces live in network namespace NS\n"
		"  -o, --output PATH       '-' stdout, a file, or 'none'\n"
		"  -S, --set KEY=VALUE     override any setting below\n"
		"      --check-config      validate the settings and exit\n"
		"  -v, --verbose           log debug messages\n"
		"  -h, --help              this text\n"
		"\n"
		"Settings (config file keys, or --set KEY=VALUE):\n");
	xw_config_help(xw_collector_opts, out);
}

struct stats_prev {
	uint64_t packets, dropped, sampled;
};

static void stats_print(const struct xw_iface *ifaces, int n,
			struct stats_prev *prev, double secs,
			const struct xw_output *out, struct xw_producer *producer,
			const struct xw_verdicts *verdicts)
{
	struct xw_counters c;
	struct xw_totals t;

	for (int i = 0; i < n; i++) {
		if (xw_counters__read(&ifaces[i].maps, &c))
			continue;
		xw_counters__sum(&c, &t);
		pr_info("stats %s: %llu pkts (%.0f/s) %llu bytes, dropped %llu (%.0f/s), monitored %llu, allowlisted %llu, parse errors %llu, sampled %llu (%.0f/s), lost to full ring buffer %llu",
			ifaces[i].key, (unsigned long long)t.all.packets,
			(t.all.packets - prev[i].packets) / secs,
			(unsigned long long)t.all.bytes,
			(unsigned long long)t.dropped,
			(t.dropped - prev[i].dropped) / secs,
			(unsigned long long)t.monitored,
			(unsigned long long)t.allowed,
			(unsigned long long)t.parse_errors,
			(unsigned long long)t.sampled,
			(t.sampled - prev[i].sampled) / secs,
			(unsigned long long)t.lost);
		prev[i] = (struct stats_prev){ t.all.packets, t.dropped,
					       t.sampled };
	}
	if (out->f)
		pr_info("stats output: %llu records written, %llu failed",
			(unsigned long long)out->written,
			(unsigned long long)out->failed);
	if (producer) {
		const struct xw_producer_stats *ps = xw_producer__stats(producer);

		pr_info("stats kafka: %llu records in %llu batches produced, %llu delivered, %llu failed (%llu batches possibly persisted), %llu lost to a full queue, %llu in queue, %llu producer restarts",
			(unsigned long long)ps->records_produced,
			(unsigned long long)ps->msgs_produced,
			(unsigned long long)ps->records_delivered,
			(unsigned long long)ps->records_failed,
			(unsigned long long)ps->msgs_possibly_persisted,
			(unsigned long long)ps->records_queue_full,
			(unsigned long long)ps->queue_len,
			(unsigned long long)ps->fatal_restarts);
	}
	if (verdicts) {
		const struct xw_verdicts_stats *vs = xw_verdicts__stats(verdicts);
		char refused[512] = "";
		size_t used = 0;

		for (int r = 1; r < XW_REFUSE_COUNT && used < sizeof(refused); r++)
			if (vs->refused[r])
				used += snprintf(refused + used, sizeof(refused) - used,
						 " %s=%llu", xw_refusal_name(r),
						 (unsigned long long)vs->refused[r]);
		pr_info("stats verdicts: %u live, %llu received, %llu applied, %llu withdrawn, %llu expired, %llu not for this host, refused:%s",
			vs->live, (unsigned long long)vs->received,
			(unsigned long long)vs->applied,
			(unsigned long long)vs->withdrawn,
			(unsigned long long)vs->expired,
			(unsigned long long)vs->not_targeted,
			*refused ? refused : " none");
	}
}

static int on_rule_expired(const struct xw_rule_view *v, void *ctx)
{
	char buf[XW_PREFIX_STRLEN];

	pr_info("%s: rule %u for %s expired (%llu packets hit it); removed",
		(const char *)ctx, v->rule.rule_id,
		xw_prefix_format(&v->src, buf, sizeof(buf)),
		(unsigned long long)v->hits.packets);
	return 0;
}

/* The kernel ignores expired rules by itself; removing them frees slots. */
static void rules_expire(const struct xw_iface *ifaces, int n)
{
	for (int i = 0; i < n; i++) {
		int ret = xw_rules__expire(&ifaces[i].maps, 0, on_rule_expired,
					   (void *)ifaces[i].key);

		if (ret < 0)
			pr_warn("%s: cannot expire rules: %s", ifaces[i].key,
				strerror(-ret));
	}
}

/*
 * Records one ring_buffer__consume() may hand over before the loop turns
 * again. libbpf 1.1's consume returns only once it meets the producer;
 * while a flood keeps the ring ahead of the drain it never does, and the
 * verdicts, the batcher's linger and the counters wait for it (verdicts
 * were applied seconds late under a 1:1 flood). 8192 records take a few
 * ms at the drain's pace; a turn of the loop costs a few us.
 */
#define DRAIN_BUDGET 8192
#define DRAIN_MORE (-EAGAIN) /* on_record: budget spent, record kept */

struct drain_ctx {
	struct xw_output *out;
	struct xw_batcher *batcher; /* NULL without Kafka */
	const char *ifname;
	unsigned int *budget; /* shared by every interface's ring */
};

/* libbpf has consumed the record already: copy it out, never fail. A
 * negative return only ends this consume, after the record was copied. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct drain_ctx *d = ctx;

	if (size < sizeof(struct xw_record))
		return 0; /* an older, shorter layout cannot be on our ring */
	xw_output__record(d->out, data, d->ifname);
	if (d->batcher)
		xw_batcher__add(d->batcher, data);
	if (!--*d->budget)
		return DRAIN_MORE;
	return 0;
}

/* Attach the exact counters of every interface to the next batch. */
static void counters_attach(const struct xw_iface *ifaces, int n,
			    struct xw_counters_pb *pb,
			    Xdpwatch__V1__InterfaceCounters **ptrs,
			    struct xw_batcher *b)
{
	struct xw_counters c;
	uint64_t lost = 0;
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (xw_counters__read(&ifaces[i].maps, &c))
			continue;
		xw_counters__to_pb(&c, (uint32_t)ifaces[i].ifindex,
				   ifaces[i].key, &pb[k]);
		lost += c.events[XW_EV_RECORD_LOST_RINGBUF_FULL];
		ptrs[k] = &pb[k].ic;
		k++;
	}
	xw_batcher__set_counters(b, ptrs, (size_t)k, lost);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Format and publish one metrics snapshot; a failure costs a stale
 * snapshot, logged once until it works again. */
static void metrics_publish(struct xw_metrics *m, struct xw_prom_buf *b,
			    struct xw_promstats_src *src)
{
	static int last_err;
	double t0 = now_s();
	int err;

	xw_prom_buf__reset(b);
	xw_promstats__format(b, src);
	/* The main loop pays for it: show what it costs. */
	src->snapshot_s = now_s() - t0;
	err = b->err ? b->err : xw_metrics__publish(m, b->text, b->len);
	if (err && err != last_err)
		pr_warn("metrics: cannot build the snapshot: %s; serving the previous one",
			strerror(-err));
	last_err = err;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Before anything is attached: a bad Kafka setting stops us untouched. */
static int producer_open(const struct xw_collector_cfg *cfg,
			 struct xw_producer **producer)
{
	char err[512];
	int ret;

	ret = xw_producer__new(producer, &cfg->kafka, cfg->kafka_topic, err,
			       sizeof(err));
	if (!ret && cfg->kafka_check_ms)
		ret = xw_producer__check(*producer, (int)cfg->kafka_check_ms, err,
					 sizeof(err));
	if (ret)
		pr_err("kafka: %s; nothing was attached", err);
	return ret;
}

static int batcher_open(const struct xw_collector_cfg *cfg,
			const struct xw_iface *ifaces, int n,
			struct xw_producer *producer, struct xw_batcher **batcher)
{
	struct xw_iface_name names[MAX_IFACES];
	struct xw_batcher_opts bo = {
		.host_id = cfg->host_id,
		.max_records = (uint32_t)cfg->batch_max_records,
		.max_bytes = (uint32_t)cfg->batch_max_bytes,
		.linger_ms = (uint32_t)cfg->batch_linger_ms,
		.sample_rate = (uint32_t)cfg->sample_rate,
	};
	int ret;

	for (int i = 0; i < n; i++)
		names[i] = (struct xw_iface_name){ (uint32_t)ifaces[i].ifindex,
						   ifaces[i].key };
	ret = xw_batcher__new(batcher, &bo, producer, names, (size_t)n);
	if (ret) {
		pr_err("cannot allocate the batcher: %s", strerror(-ret));
		return ret;
	}
	pr_info("kafka: producing to %s as host %s, collector %s",
		cfg->kafka_topic, cfg->host_id, xw_batcher__collector_id(*batcher));
	return 0;
}

static int epoll_watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int run(const struct xw_collector_cfg *cfg)
{
	struct xw_iface ifaces[MAX_IFACES];
	struct drain_ctx dctx[MAX_IFACES];
	struct stats_prev prev[MAX_IFACES] = { 0 };
	struct ring_buffer *rb = NULL;
	struct xw_producer *producer = NULL;
	struct xw_batcher *batcher = NULL;
	struct xw_counters_pb *cpb = NULL;
	struct xw_verdicts *verdicts = NULL;
	struct xw_rulestats *rulestats = NULL;
	struct xw_output out;
	struct xw_metrics *metrics = NULL;
	struct xw_prom_buf prom = XW_PROM_BUF_INIT;
	struct xw_promstats_src psrc = {
		.host_id = cfg->host_id,
		.ifaces = ifaces,
		.out = &out,
		.features_topic = cfg->kafka_topic,
		.rulestats_topic = cfg->rulestats_topic,
		.rule_series_max = (unsigned int)cfg->metrics_rule_series_max,
		.start_time_s = wall_s(),
	};
	Xdpwatch__V1__InterfaceCounters *cptrs[MAX_IFACES];
	struct xw_attach_opts ao = {
		.netns = cfg->netns,
		.pin_root = cfg->pin_root,
		.lock_dir = cfg->lock_dir,
		.mode = cfg->xdp_mode,
		.via = cfg->attach_mode,
		.run_prio = (uint32_t)cfg->libxdp_priority,
		.ringbuf_bytes = (uint32_t)cfg->ringbuf_kib * 1024,
		.sample_rate = (uint32_t)cfg->sample_rate,
		.wakeup_bytes = (uint32_t)cfg->wakeup_records *
				XW_RINGBUF_SLOT,
	};
	double last_stats, last_expire, last_counters, last_rulestats, last_metrics, t;
	bool verdicts_more = false, drain_more = false;
	unsigned int budget = DRAIN_BUDGET;
	int n = 0, epfd = -1, err;

	err = xw_output__open(&out, cfg->output);
	if (err)
		return err;
	/* Bound here, before any netns is entered (so it listens in ours),
	 * and before anything is attached (a taken port stops us untouched). */
	if (*cfg->metrics_listen) {
		struct xw_metrics_opts mo = { .listen = cfg->metrics_listen };
		char why[512];

		err = xw_metrics__new(&metrics, &mo, why, sizeof(why));
		if (err) {
			pr_err("metrics: %s; nothing was attached", why);
			goto cleanup;
		}
		pr_info("metrics: serving http://%s/metrics (port %d)",
			cfg->metrics_listen, xw_metrics__port(metrics));
	}
	if (cfg->kafka.count) {
		err = producer_open(cfg, &producer);
		if (err)
			goto cleanup;
	}
	for (unsigned int i = 0; i < cfg->interfaces.count; i++) {
		err = xw_iface__attach(&ifaces[n], cfg->interfaces.item[i], &ao);
		if (err)
			goto cleanup;
		dctx[n] = (struct drain_ctx){ &out, NULL, ifaces[n].key, &budget };
		err = rb ? ring_buffer__add(rb, ifaces[n].records_fd, on_record,
					    &dctx[n]) :
			   0;
		if (!rb) {
			rb = ring_buffer__new(ifaces[n].records_fd, on_record,
					      &dctx[n], NULL);
			err = rb ? 0 : -errno;
		}
		n++;
		if (err) {
			pr_err("%s: cannot open ring buffer: %s",
			       ifaces[n - 1].ifname, strerror(-err));
			goto cleanup;
		}
	}
	if (producer) {
		cpb = calloc((size_t)n, sizeof(*cpb));
		err = cpb ? batcher_open(cfg, ifaces, n, producer, &batcher) : -ENOMEM;
		if (err)
			goto cleanup;
		for (int i = 0; i < n; i++)
			dctx[i].batcher = batcher;
	}
	if (producer && cfg->rulestats_interval_s) {
		char why[512];

		err = xw_rulestats__new(&rulestats, &cfg->kafka, cfg->rulestats_topic,
					cfg->host_id, why, sizeof(why));
		if (err) {
			pr_err("kafka: %s", why);
			goto cleanup;
		}
	}
	if (*cfg->trusted_keys) {
		struct xw_verdicts_opts vo = {
			.props = &cfg->kafka,
			.topic = cfg->verdicts_topic,
			.trusted_keys = cfg->trusted_keys,
			.host_id = cfg->host_id,
			.groups = &cfg->host_groups,
			.max_ttl_s = (uint64_t)cfg->verdict_max_ttl_s,
			.budget = (uint32_t)cfg->rule_budget,
			.check_ms = (int)cfg->kafka_check_ms,
		};

		err = xw_verdicts__new(&verdicts, &vo, ifaces, n);
		if (err)
			goto cleanup;
	}
	psrc.n = n;
	psrc.features = producer;
	psrc.rulestats = rulestats ? xw_rulestats__stats(rulestats) : NULL;
	psrc.verdicts = verdicts;
	if (metrics)
		metrics_publish(metrics, &prom, &psrc);
	pr_info("watching %d interface%s, %s%lld; Ctrl-C to stop", n,
		n == 1 ? "" : "s", cfg->sample_rate ? "sampling 1:" : "no records, sample_rate ",
		(long long)cfg->sample_rate);

	last_stats = last_expire = last_counters = last_rulestats = last_metrics = now_s();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	err = epfd < 0 ? -errno : 0;
	if (!err)
		err = epoll_watch(epfd, ring_buffer__epoll_fd(rb));
	if (!err && verdicts) {
		err = xw_verdicts__fd(verdicts);
		if (err >= 0)
			err = epoll_watch(epfd, err);
	}
	if (err) {
		pr_err("cannot set up the event loop: %s", strerror(-err));
		goto cleanup;
	}
	while (!stop) {
		struct epoll_event ev[4];
		int timeout = (int)cfg->poll_timeout_ms;

		/* Sleep until a batch of records or a verdict arrives, or the
		 * timeout: records queued without a wake-up wait at most that
		 * long. Verdicts still to read, or a start not yet caught up
		 * with the topic, shorten the sleep. */
		if (verdicts_more || drain_more)
			timeout = 0;
		else if (verdicts && !xw_verdicts__stats(verdicts)->caught_up &&
			 timeout > 10)
			timeout = 10;
		if (epoll_wait(epfd, ev, 4, timeout) < 0 && errno != EINTR) {
			err = -errno;
			pr_err("event loop: %s", strerror(errno));
			break;
		}
		/* consume reads every ring, including records queued without a
		 * wake-up (ring_buffer__poll would read only rings that woke). */
		budget = DRAIN_BUDGET;
		err = ring_buffer__consume(rb);
		drain_more = err == DRAIN_MORE;
		if (err < 0 && err != -EINTR && !drain_more) {
			pr_err("ring buffer: %s", strerror(-err));
			break;
		}
		err = 0;
		xw_output__flush(&out);

		if (verdicts)
			verdicts_more = xw_verdicts__poll(verdicts);
		t = now_s();
		if (batcher) {
			if ((t - last_counters) * 1000 >= (double)cfg->counters_interval_ms) {
				counters_attach(ifaces, n, cpb, cptrs, batcher);
				last_counters = t;
			}
			xw_batcher__tick(batcher, (uint64_t)(t * 1000));
			xw_producer__poll(producer);
		}
		if (rulestats && t - last_rulestats >= (double)cfg->rulestats_interval_s) {
			xw_rulestats__publish(rulestats, ifaces, n,
					      verdicts ? xw_verdicts__stats(verdicts)->refused :
							 NULL);
			last_rulestats = t;
		}
		if (metrics && (t - last_metrics) * 1000 >= (double)cfg->metrics_interval_ms) {
			metrics_publish(metrics, &prom, &psrc);
			last_metrics = t;
		}
		if (t - last_expire >= 1.0) {
			rules_expire(ifaces, n);
			last_expire = t;
		}
		if (cfg->stats_interval_s &&
		    t - last_stats >= (double)cfg->stats_interval_s) {
			stats_print(ifaces, n, prev, t - last_stats, &out, producer,
				    verdicts);
			out.clock_offset_ns = xw_clock_offset_ns();
			last_stats = t;
		}
	}
	/* Off the interfaces first, so the last drain is the last record:
	 * nothing sampled while Kafka flushes goes uncounted. */
	for (int i = 0; i < n; i++)
		xw_iface__unlink(&ifaces[i]);
	if (rb)
		do
			budget = DRAIN_BUDGET;
		while (ring_buffer__consume(rb) == DRAIN_MORE);
	if (batcher) {
		/* The last records and counters, then wait for their delivery. */
		counters_attach(ifaces, n, cpb, cptrs, batcher);
		xw_batcher__flush(batcher);
		if (xw_producer__flush(producer, 10000))
			pr_warn("kafka: not everything was delivered within 10 s");
	}
	if (n)
		stats_print(ifaces, n, prev, now_s() - last_stats, &out, producer,
			    verdicts);

cleanup:
	if (epfd >= 0)
		close(epfd);
	xw_metrics__free(metrics);
	xw_prom_buf__free(&prom);
	xw_rulestats__free(rulestats);
	xw_verdicts__free(verdicts);
	xw_batcher__destroy(batcher);
	xw_producer__destroy(producer);
	free(cpb);
	ring_buffer__free(rb);
	for (int i = n - 1; i >= 0; i--) {
		xw_iface__detach(&ifaces[i]);
		pr_info("%s: detached; rules and counters stay pinned",
			ifaces[i].key);
	}
	xw_output__close(&out);
	return err;
}

static int validate(struct xw_collector_cfg *cfg)
{
	int64_t bytes = cfg->ringbuf_kib * 1024;
	char why[256];

	if (!cfg->interfaces.count) {
		pr_err("no interface given: use -i IF or 'interfaces' in the config file");
		return -EINVAL;
	}
	if (!*cfg->host_id && gethostname(cfg->host_id, sizeof(cfg->host_id) - 1)) {
		pr_err("host_id is not set and the hostname cannot be read: %s",
		       strerror(errno));
		return -EINVAL;
	}
	if ((uint64_t)cfg->batch_max_records * XW_PB_RECORD_MAX > (uint64_t)cfg->batch_max_bytes &&
	    cfg->batch_max_bytes < XW_PB_RECORD_MAX) {
		pr_err("batch_max_bytes = %lld cannot hold one record", (long long)cfg->batch_max_bytes);
		return -EINVAL;
	}
	if (*cfg->trusted_keys && !cfg->kafka.count) {
		pr_err("trusted_keys is set but kafka.bootstrap.servers is not: verdicts come from Kafka");
		return -EINVAL;
	}
	if (*cfg->metrics_listen &&
	    xw_metrics_listen_check(cfg->metrics_listen, why, sizeof(why))) {
		pr_err("metrics.listen: %s", why);
		return -EINVAL;
	}
	if (bytes & (bytes - 1) || bytes % getpagesize()) {
		pr_err("ringbuf_kib = %lld: the ring buffer must be a power of two and a multiple of the page size",
		       (long long)cfg->ringbuf_kib);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interface", required_argument, NULL, 'i' },
		{ "sample-rate", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "netns", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, 'S' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* Overrides are applied after the file, in command-line order. */
	char overrides[64][XW_CFG_STR_MAX + 32];
	struct xw_collector_cfg cfg;
	const char *config_path = NULL;
	bool check_only = false, verbose = false;
	char ifaces_arg[XW_CFG_STR_MAX] = "", err[512];
	struct sigaction sa = { .sa_handler = on_signal };
	int nover = 0, opt, ret;

	xw_log_set_program("xdpwatch-collector");
	while ((opt = getopt_long(argc, argv, "c:i:s:m:n:o:S:vh", longopts,
				  NULL)) != -1) {
		const char *key = NULL;

		switch (opt) {
		case 'c': config_path = optarg; continue;
		case 'i':
			if (strlen(ifaces_arg) + strlen(optarg) + 2 >
			    sizeof(ifaces_arg)) {
				pr_err("too many interfaces");
				return 2;
			}
			if (*ifaces_arg)
				strcat(ifaces_arg, ",");
			strcat(ifaces_arg, optarg);
			continue;
		case 's': key = "sample_rate"; break;
		case 'm': key = "xdp_mode"; break;
		case 'n': key = "netns"; break;
		case 'o': key = "output"; break;
		case 'S': key = ""; break;
		case 'C': check_only = true; continue;
		case 'v': verbose = true; continue;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (nover >= (int)(sizeof(overrides) / sizeof(overrides[0]))) {
			pr_err("too many overrides");
			return 2;
		}
		snprintf(overrides[nover++], sizeof(overrides[0]), "%s%s%s", key,
			 *key ? "=" : "", optarg);
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}

	xw_config_defaults(xw_collector_opts, &cfg);
	if (config_path &&
	    xw_config_load_file(xw_collector_opts, &cfg, config_path, err,
				sizeof(err))) {
		pr_err("bad config: %s; nothing was attached", err);
		return 2;
	}
	if (*ifaces_arg && nover < (int)(sizeof(overrides) / sizeof(overrides[0])))
		snprintf(overrides[nover++], sizeof(overrides[0]), "interfaces=%s",
			 ifaces_arg);
	for (int i = 0; i < nover; i++) {
		if (xw_config_set(xw_collector_opts, &cfg, overrides[i], err,
				  sizeof(err))) {
			pr_err("bad option: %s; nothing was attached", err);
			return 2;
		}
	}
	xw_log_set_level(verbose ? XW_LOG_DEBUG : cfg.log_level);
	xw_log_route_libbpf();
	if (validate(&cfg))
		return 2;
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = run(&cfg);
	return ret ? 1 : 0;
}
