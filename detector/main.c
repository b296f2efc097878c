// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpwatch-detector - read the feature stream as one member of a consumer
 * group, find attacks per destination, publish signed verdicts and alerts.
 *
 * One thread: the consumer's poll hands over batches (and rebalances),
 * ingest folds them into the destination table, and every tick the busy
 * destinations are evaluated. Settings: defaults, then the libconfig file,
 * then --set overrides (see config/detector.cfg).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attacks.h"
#include "dconfig.h"
#include "dmetrics.h"
#include "dtable.h"
#include "ingest.h"
#include "kafka.h"
#include "log.h"
#include "publish.h"

#define TICK_MS 50
#define FEATURE_SCHEMA "xdpwatch.v1.FeatureBatch"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct detector {
	struct xw_dconfig cfg;
	struct xw_dtable *table;
	struct xw_ingest *ingest;
	struct xw_attacks *attacks;
	struct xw_publisher *pub;
	struct xw_consumer *features;
	struct xw_metrics *metrics; /* NULL: off */
	struct xw_prom_buf prom;
	double start_time_s;
	uint64_t tick_unix_ms;
	uint64_t wrong_schema;
	/* during a revoke */
	const int32_t *revoked;
	int nrevoked;
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xdpwatch-detector [options]\n"
		"\n"
		"Read xdpwatch feature batches from Kafka as a member of a consumer\n"
		"group, find attacks (floods, reflection, fragments, carpet bombing)\n"
		"per destination, and publish signed verdicts and alerts.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE       libconfig file (see config/detector.cfg)\n"
		"  -S, --set KEY=VALUE     override any setting below\n"
		"      --check-config      validate the settings and exit\n"
		"  -v, --verbose           log debug messages\n"
		"  -h, --help              this text\n"
		"\n"
		"Settings (config file keys, or --set KEY=VALUE):\n");
	xw_dconfig_help(out);
}

static uint16_t group_of(void *ctx, const struct xw_dkey *k)
{
	struct detector *d = ctx;

	return xw_dconfig_group_of(&d->cfg, k);
}

static int ops_verdict(void *ctx, const struct xw_verdict_msg *m)
{
	struct detector *d = ctx;

	return xw_publisher__verdict(d->pub, m);
}

static void ops_alert(void *ctx, const struct xw_alert *a)
{
	struct detector *d = ctx;

	xw_publisher__alert(d->pub, a);
}

static const char *ops_host_name(void *ctx, uint16_t host)
{
	struct detector *d = ctx;

	return xw_ingest__host_name(d->ingest, host);
}

/* A destination whose every reporting host is in a revoked partition is
 * no longer ours: its attacks go to the partition's new owner. */
static bool moved_away(void *ctx, const struct xw_dst *dst)
{
	struct detector *d = ctx;

	for (unsigned int h = 0; h < dst->nhosts; h++) {
		int32_t part = xw_ingest__host_partition(d->ingest, dst->hosts[h]);
		bool revoked = false;

		for (int i = 0; i < d->nrevoked; i++)
			revoked |= d->revoked[i] == part;
		if (!revoked)
			return false;
	}
	xw_attacks__forget(d->attacks, (struct xw_dst *)dst);
	return true;
}

static void on_rebalance(void *ctx, bool assigned, const int32_t *parts, int n)
{
	struct detector *d = ctx;
	char list[256] = "";
	size_t used = 0;

	for (int i = 0; i < n && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%d",
				 i ? "," : "", parts[i]);
	pr_info("partitions %s: %s", assigned ? "assigned" : "revoked",
		n ? list : "none");
	if (assigned || !n)
		return;
	d->revoked = parts;
	d->nrevoked = n;
	xw_dtable_remove_if(d->table, moved_away, d);
	d->nrevoked = 0;
}

static void stats_print(struct detector *d)
{
	const struct xw_ingest_stats *is = xw_ingest__stats(d->ingest);
	const struct xw_dtable_stats *ts = xw_dtable_stats(d->table);
	const struct xw_attacks_stats *as = xw_attacks__stats(d->attacks);
	const struct xw_publisher_stats *ps = xw_publisher__stats(d->pub);

	pr_info("stats ingest: %llu batches, %llu records from %u hosts; %llu bad, %llu duplicate, %llu missing batches; %llu records late, %llu untracked; lag %lld",
		(unsigned long long)is->batches, (unsigned long long)is->records,
		is->hosts, (unsigned long long)is->bad_batches,
		(unsigned long long)is->duplicate_batches,
		(unsigned long long)is->missing_batches,
		(unsigned long long)ts->late, (unsigned long long)ts->untracked,
		/* Closed at shutdown: nothing assigned, so no lag (what
		 * xw_consumer__lag says for an empty assignment). */
		d->features ? (long long)xw_consumer__lag(d->features) : 0LL);
	pr_info("stats table: %llu destinations, %llu busy, %llu expired",
		(unsigned long long)ts->dsts, (unsigned long long)ts->heavy,
		(unsigned long long)ts->expired);
	pr_info("stats attacks: %u active, %llu started, %llu ended, %llu handed over; verdicts %llu published (%u rules live), %llu withdrawn, %llu not published, %llu over budget; alerts %llu",
		as->active, (unsigned long long)as->started,
		(unsigned long long)as->ended, (unsigned long long)as->forgotten,
		(unsigned long long)as->verdicts, as->live_rules,
		(unsigned long long)as->withdrawals,
		(unsigned long long)as->publish_failed,
		(unsigned long long)as->over_budget,
		(unsigned long long)(ps->alerts + ps->json_lines));
}

static int setup(struct detector *d)
{
	struct xw_dconfig *c = &d->cfg;
	struct xw_dtable_opts to = {
		.max_dsts = (uint32_t)c->max_destinations,
		.max_heavy = (uint32_t)c->max_heavy,
		.watch_pps = (double)c->watch_pps,
		.idle_s = (uint32_t)c->idle_s,
		.baseline_alpha = c->learn_alpha_permille / 1000.0,
	};
	struct xw_ingest_opts io = {
		.carpet_v4 = (uint8_t)c->carpet_prefix_v4,
		.carpet_v6 = (uint8_t)c->carpet_prefix_v6,
		.max_hosts = (uint32_t)c->max_hosts,
	};
	struct xw_attacks_opts ao = {
		.start_slots = (uint32_t)c->start_slots,
		.end_hold_ms = (uint32_t)c->end_hold_ms,
		.end_ratio = c->end_ratio_pct / 100.0,
		.update_ms = (uint32_t)c->update_ms,
		.renew_ms = (uint32_t)c->renew_s * 1000,
		.max_live = (uint32_t)c->max_live_rules,
		.target_all = c->target == XW_TARGET_ALL,
		.carpet_min_dsts = (uint32_t)c->carpet_min_destinations,
		.carpet_top_share = c->carpet_top_share_pct / 100.0,
		.learn = {
			.k = c->learn_k_tenths / 10.0,
			.factor = c->learn_factor_pct / 100.0,
			.warm_slots = (uint32_t)(c->learn_warm_s * 1000 / XW_SLOT_MS),
			.spoof_sources = (double)c->spoof_sources,
			.top_share = c->spoof_top_share_pct / 100.0,
		},
		.plan = {
			.max_sources = (unsigned int)c->max_sources,
			.hh_share = c->hh_share_pct / 100.0,
			.hh_min_share = c->hh_min_share_pct / 100.0,
			.port_share = c->port_share_pct / 100.0,
			.rate_factor = c->rate_limit_pct / 100.0,
			.ttl_s = (uint32_t)c->verdict_ttl_s,
			.allow = c->allow,
			.nallow = c->nallow,
		},
		.detector = c->detector_id,
	};
	static const struct xw_attacks_ops ops = {
		.verdict = ops_verdict,
		.alert = ops_alert,
		.host_name = ops_host_name,
	};
	struct xw_publisher_opts po = {
		.props = &c->kafka,
		.verdicts_topic = c->verdicts_topic,
		.alerts_topic = c->alerts_topic,
		.signing_key = c->signing_key,
		.alerts_json = c->alerts_json,
		.check_ms = (int)c->kafka_check_ms,
	};
	char err[768];
	int ret;

	if (*c->metrics_listen) {
		struct xw_metrics_opts mo = { .listen = c->metrics_listen };

		ret = xw_metrics__new(&d->metrics, &mo, err, sizeof(err));
		if (ret) {
			pr_err("metrics: %s", err);
			return ret;
		}
		pr_info("metrics on http://%s/metrics (port %d)", c->metrics_listen,
			xw_metrics__port(d->metrics));
	}
	ret = xw_publisher__new(&d->pub, &po, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	if (!*c->signing_key)
		pr_warn("no signing_key: alerts only, no verdicts will be published");
	if (xw_dtable_new(&d->table, &to) ||
	    xw_ingest__new(&d->ingest, &io, d->table, group_of, d) ||
	    xw_attacks__new(&d->attacks, &ao, &ops, d)) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	ret = xw_consumer__new_group(&d->features, &c->kafka, c->features_topic,
				     c->group_id, on_rebalance, d, err,
				     sizeof(err));
	if (ret) {
		pr_err("kafka: %s", err);
		return ret;
	}
	return 0;
}

/*
 * How far a destination's data has reached: the wall clock less the lag of
 * its slowest reporting host, one slot more for a linger and a broker hop.
 * A detector reading a backlog, or a host whose clock runs behind, then
 * sees its records in the window instead of an empty one.
 */
static uint64_t data_slot(void *ctx, const struct xw_dst *dst)
{
	struct detector *d = ctx;
	int64_t lag = 0;

	for (unsigned int h = 0; h < dst->nhosts; h++) {
		int64_t l = xw_ingest__host_lag_ms(d->ingest, dst->hosts[h]);

		if (l > lag)
			lag = l;
	}
	if ((uint64_t)lag > d->tick_unix_ms)
		return 0;
	return (d->tick_unix_ms - (uint64_t)lag) / XW_SLOT_MS - 1;
}

static void tick(struct detector *d)
{
	uint64_t now_ms = clock_ms(CLOCK_MONOTONIC);
	uint64_t unix_ms = clock_ms(CLOCK_REALTIME);
	struct xw_dst *const *heavy;
	unsigned int n;

	d->tick_unix_ms = unix_ms;
	xw_dtable_tick(d->table, unix_ms / XW_SLOT_MS - 1, now_ms, data_slot, d);
	heavy = xw_dtable_heavy(d->table, &n);
	/* Evaluation may end attacks but never drops heavy entries. */
	for (unsigned int i = 0; i < n; i++)
		xw_attacks__eval(d->attacks, heavy[i],
				 &d->cfg.groups_th[heavy[i]->group],
				 unix_ms * 1000000ULL, now_ms);
	xw_publisher__poll(d->pub);
}

/* A failed snapshot leaves the previous one served; said once. */
static void metrics_publish(struct detector *d)
{
	static int last_err;
	struct xw_dmetrics_src src = {
		.detector_id = d->cfg.detector_id,
		.ingest = xw_ingest__stats(d->ingest),
		.table = xw_dtable_stats(d->table),
		.attacks = xw_attacks__stats(d->attacks),
		.publish = xw_publisher__stats(d->pub),
		.lag = xw_consumer__lag(d->features),
		.wrong_schema = d->wrong_schema,
		.start_time_s = d->start_time_s,
	};
	int err;

	xw_prom_buf__reset(&d->prom);
	xw_dmetrics_format(&d->prom, &src);
	err = d->prom.err ? d->prom.err :
			    xw_metrics__publish(d->metrics, d->prom.text, d->prom.len);
	if (err && err != last_err)
		pr_warn("metrics: cannot build the snapshot: %s; serving the previous one",
			strerror(-err));
	last_err = err;
}

static int run(struct detector *d)
{
	uint64_t next_tick = 0, next_stats = 0, next_metrics = 0;

	pr_info("%s: reading %s as group %s", d->cfg.detector_id,
		d->cfg.features_topic, d->cfg.group_id);
	while (!stop) {
		uint64_t now = clock_ms(CLOCK_MONOTONIC);
		struct xw_kafka_msg msg;
		int ret;

		if (now >= next_tick) {
			tick(d);
			next_tick = now + TICK_MS;
		}
		if (d->metrics && now >= next_metrics) {
			metrics_publish(d);
			next_metrics = now + (uint64_t)d->cfg.metrics_interval_ms;
		}
		if (d->cfg.stats_interval_s && now >= next_stats) {
			if (next_stats)
				stats_print(d);
			next_stats = now + (uint64_t)d->cfg.stats_interval_s * 1000;
		}
		ret = xw_consumer__next(d->features, TICK_MS / 2, &msg);
		if (ret < 0) {
			pr_err("kafka: %s: the features topic is gone",
			       d->cfg.features_topic);
			return ret;
		}
		if (!ret || !msg.value)
			continue;
		if (msg.schema && strcmp(msg.schema, FEATURE_SCHEMA)) {
			if (!d->wrong_schema++)
				pr_warn("skipping messages with schema '%s' on %s (counted)",
					msg.schema, d->cfg.features_topic);
			continue;
		}
		if (xw_ingest__batch(d->ingest, msg.value, msg.len,
				     msg.partition) == -EBADMSG)
			pr_debug("partition %d offset %lld: not a FeatureBatch; skipped",
				 msg.partition, (long long)msg.offset);
	}
	return 0;
}

static void cleanup(struct detector *d)
{
	/* Closing the consumer revokes our partitions: attacks are handed
	 * over, not withdrawn, so another instance can renew them. */
	xw_consumer__destroy(d->features);
	d->features = NULL; /* stats_print() below must not ask it for lag */
	if (d->pub)
		xw_publisher__flush(d->pub, 5000);
	if (d->ingest && d->table && d->attacks)
		stats_print(d);
	xw_metrics__free(d->metrics);
	xw_prom_buf__free(&d->prom);
	xw_publisher__free(d->pub);
	xw_attacks__free(d->attacks);
	xw_ingest__free(d->ingest);
	xw_dtable_free(d->table);
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 'S' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct detector d;
	const char *config_path = NULL;
	bool check_only = false, verbose = false;
	char *sets[64];
	int nsets = 0, opt, ret;
	char err[768];

	xw_log_set_program("xdpwatch-detector");
	while ((opt = getopt_long(argc, argv, "c:S:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'S':
			if (nsets >= (int)(sizeof(sets) / sizeof(sets[0]))) {
				pr_err("too many --set options");
				return 2;
			}
			sets[nsets++] = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	xw_dconfig_defaults(&d.cfg);
	if (config_path && xw_dconfig_load(&d.cfg, config_path, err, sizeof(err))) {
		pr_err("%s", err);
		return 2;
	}
	for (int i = 0; i < nsets; i++)
		if (xw_dconfig_set(&d.cfg, sets[i], err, sizeof(err))) {
			pr_err("--set %s", err);
			return 2;
		}
	if (xw_dconfig_finish(&d.cfg, err, sizeof(err))) {
		pr_err("%s", err);
		return 2;
	}
	xw_log_set_level(verbose ? XW_LOG_DEBUG : (enum xw_log_level)d.cfg.log_level);
	if (!*d.cfg.detector_id) {
		char host[200] = "unknown";

		gethostname(host, sizeof(host) - 1);
		snprintf(d.cfg.detector_id, sizeof(d.cfg.detector_id),
			 "detector@%s", host);
	}
	if (*d.cfg.metrics_listen &&
	    xw_metrics_listen_check(d.cfg.metrics_listen, err, sizeof(err))) {
		pr_err("metrics.listen: %s", err);
		return 2;
	}
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	d.start_time_s = clock_ms(CLOCK_REALTIME) / 1000.0;
	ret = setup(&d);
	if (!ret)
		ret = run(&d);
	cleanup(&d);
	return ret ? 1 : 0;
}
