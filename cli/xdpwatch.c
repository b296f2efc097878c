// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpwatch - operator command line over the pinned maps of every watched
 * interface: deny rules, the allowlist, counters, sampling, pins.
 *
 *   xdpwatch rule add PREFIX --ttl DUR [--monitor] [--proto P]
 *                              [--sport N] [--dport N] [--tcp-flags F]
 *   xdpwatch rule del PREFIX
 *   xdpwatch rule list [--json]
 *   xdpwatch allow add|del PREFIX, allow list [--json]
 *   xdpwatch stats [--json]
 *   xdpwatch sample N
 *   xdpwatch unpin IFACE
 *   xdpwatch top [--interval S] [--once] [--json] [--kafka BOOTSTRAP] ...
 *
 * Every command works on all interfaces under the pin root unless -i names
 * some. Exit status: 0 done, 1 failed, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "names.h"
#include "pinned.h"
#include "rules.h"
#include "tail.h"
#include "top.h"
#include "verdict_cmd.h"
#include "textparse.h"

#define MAX_IFACES 64

struct cli {
	const char *pin_root;
	const char *lock_dir;
	const char *ifaces[MAX_IFACES];
	int nifaces;
	bool json;
	/* rule add */
	struct xw_rule_spec spec;
	bool have_ttl;
	const char *tcp_flags; /* as typed, for the message that refuses it */
	/* verdicts */
	const char *key_path, *key_dir, *key_id, *rule_id, *trusted_keys;
	const char *issuer, *reason;
	struct xw_prefix dst;
	uint64_t rate_pps;
	char targets[XW_CFG_STR_MAX];
	bool targets_are_groups;
	/* tail */
	struct xw_cfg_kv kafka;
	const char *topic;
	bool from_beginning;
	uint64_t max;
	int idle_timeout_ms;
	/* top */
	uint64_t interval_ms;
	bool once;
	uint64_t top_n, width;
	const char *kafka_top, *features_topic, *alerts_topic, *host;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xdpwatch [-i IFACE]... [--pin-root DIR] COMMAND ...\n"
		"\n"
		"Commands (on every watched interface unless -i names some):\n"
		"  rule add PREFIX --ttl DUR [--monitor] [--proto P] [--sport N] [--dport N]\n"
		"       [--tcp-flags F]  drop (or with --monitor only count) traffic from\n"
		"                        PREFIX for DUR (30, 90s, 5m, 2h, 1d); the kernel\n"
		"                        expires it. --proto tcp|udp|icmp|icmpv6|N and the\n"
		"                        ports (tcp/udp) narrow it; with --proto tcp,\n"
		"                        --tcp-flags too: syn (SYN set, ACK clear: a\n"
		"                        connection's first packet), ack (ACK alone, no\n"
		"                        SYN/RST/FIN), rst, or MASK/VALUE flag lists of\n"
		"                        fin,syn,rst,psh,ack,urg,ece,cwr (syn,ack/syn is\n"
		"                        syn): a packet matches when its flags in MASK are\n"
		"                        those in VALUE\n"
		"  rule del PREFIX       remove the rule for exactly PREFIX\n"
		"  rule list [--json]    rules with their hits and time left\n"
		"  allow add PREFIX      never drop PREFIX, whatever the rules say\n"
		"  allow del PREFIX\n"
		"  allow list [--json]\n"
		"  stats [--json]        packets and bytes by family, protocol, action;\n"
		"                        parse errors; sampled and lost records\n"
		"  sample N              write 1 record per N packets from now on (0 none)\n"
		"  unpin IFACE           remove IFACE's pinned maps (no collector may run)\n"
		"  keygen --key-id ID [--key-dir DIR]\n"
		"                        an Ed25519 pair: DIR/ID.key (secret) and DIR/ID.pub\n"
		"  verdict add PREFIX --ttl DUR --key FILE [--dst PREFIX] [--proto P]\n"
		"       [--sport N] [--dport N] [--tcp-flags F] [--monitor | --rate-limit PPS]\n"
		"       [--hosts H1,H2 | --groups G1,G2] [--rule-id ID] [--reason TEXT]\n"
		"                        sign and publish a verdict on the verdict topic\n"
		"                        (all hosts unless --hosts/--groups)\n"
		"  verdict withdraw RULE_ID --key FILE [--reason TEXT]\n"
		"  verdict list [--trusted-keys DIR]\n"
		"                        the topic's current rules, signatures checked\n"
		"  tail [--topic T] [--from-beginning] [--max N] [--idle-timeout S]\n"
		"       [--bootstrap HOST:PORT] [--set kafka.PROPERTY=VALUE]...\n"
		"                        FeatureBatch, RuleStats and Alert messages as\n"
		"                        JSON lines, one per message\n"
		"                        (default topic xdpwatch.features.v1, broker\n"
		"                        $XW_KAFKA_BOOTSTRAP or 127.0.0.1:19092)\n"
		"  top [--interval S] [--once] [--json] [--top N] [--width N]\n"
		"      [--kafka BOOTSTRAP [--host ID] [--features-topic T] [--alerts-topic T]]\n"
		"                        a live view redrawn every S seconds (default 1; q or\n"
		"                        Ctrl-C quits): packets/s and bits/s by family, L4\n"
		"                        and action per interface and in total, exact (the\n"
		"                        kernel's counters); every rule with its hits, hits/s,\n"
		"                        time left, origin and action. With --kafka: the top\n"
		"                        N (default 10) sources and destinations by packets/s,\n"
		"                        estimated from the sampled records on\n"
		"                        xdpwatch.features.v1 (each counts for its sample\n"
		"                        rate; a window is shown 1 s after it ends; all hosts,\n"
		"                        or --host ID's), and the attacks the detector reports\n"
		"                        on xdpwatch.alerts.v1 (class, victim, rate, age,\n"
		"                        verdicts). --once: one frame after one interval, for\n"
		"                        scripts (--json: one JSON object); --width N cuts\n"
		"                        lines to N columns (default: the terminal's)\n"
		"\n"
		"Options:\n"
		"  -i, --interface IF    only IF (repeat for more)\n"
		"      --pin-root DIR    default %s\n"
		"      --lock-dir DIR    default /run/xdpwatch\n"
		"      --json            machine-readable output for list and stats\n"
		"  -h, --help            this text\n",
		XW_PIN_ROOT_DEFAULT);
}

typedef int (*iface_fn)(struct cli *c, const char *ifname,
			const struct xw_maps *m, void *arg);

/* Run fn on each selected interface; collect the first error. */
static int for_each_iface(struct cli *c, iface_fn fn, void *arg);

struct iface_list {
	const char *names[MAX_IFACES];
	char store[MAX_IFACES][64];
	int n;
};

static int collect_iface(const char *ifname, void *ctx)
{
	struct iface_list *l = ctx;

	if (l->n >= MAX_IFACES)
		return -E2BIG;
	snprintf(l->store[l->n], sizeof(l->store[0]), "%s", ifname);
	l->names[l->n] = l->store[l->n];
	l->n++;
	return 0;
}

static int for_each_iface(struct cli *c, iface_fn fn, void *arg)
{
	struct iface_list all = { .n = 0 };
	const char **names = c->ifaces;
	int n = c->nifaces, first_err = 0;

	if (!n) {
		int err = xw_ifaces__list(c->pin_root, collect_iface, &all);

		if (err) {
			pr_err("cannot list %s: %s", c->pin_root, strerror(-err));
			return err;
		}
		if (!all.n) {
			pr_err("no watched interface under %s: is xdpwatch-collector running?",
			       c->pin_root);
			return -ENOENT;
		}
		names = all.names;
		n = all.n;
	}
	for (int i = 0; i < n; i++) {
		struct xw_maps m;
		int err = xw_maps__open(&m, c->pin_root, names[i]);

		if (err) {
			char hint[128] = "";

			if (err == -ENOENT)
				snprintf(hint, sizeof(hint),
					 " (no collector has run on it)");
			else if (err == XW_ERR_LAYOUT)
				snprintf(hint, sizeof(hint),
					 ": pinned by an incompatible xdpwatch version; stop its collector, then 'xdpwatch unpin %s'",
					 names[i]);
			pr_err("%s: cannot open pinned maps in %s/%s: %s%s",
			       names[i], c->pin_root, names[i],
			       err == XW_ERR_LAYOUT ? "another layout" :
						      strerror(-err),
			       hint);
		} else {
			err = fn(c, names[i], &m, arg);
			xw_maps__close(&m);
		}
		if (err && !first_err)
			first_err = err;
	}
	return first_err;
}

static int rule_add_one(struct cli *c, const char *ifname,
			const struct xw_maps *m, void *arg)
{
	char err[256], buf[XW_PREFIX_STRLEN];
	uint32_t id;
	int ret;

	ret = xw_rules__add(m, &c->spec, NULL, &id, err, sizeof(err));
	if (ret) {
		pr_err("%s: rule refused: %s", ifname, err);
		return ret;
	}
	printf("%s: rule %u %s %s for %llus\n", ifname, id,
	       c->spec.action == XW_RULE_MONITOR ? "monitors" : "drops",
	       xw_prefix_format(&c->spec.src, buf, sizeof(buf)),
	       (unsigned long long)c->spec.ttl_s);
	return 0;
}

static int rule_del_one(struct cli *c, const char *ifname,
			const struct xw_maps *m, void *arg)
{
	char buf[XW_PREFIX_STRLEN];
	int ret = xw_rules__del(m, &c->spec.src);

	xw_prefix_format(&c->spec.src, buf, sizeof(buf));
	if (ret) {
		pr_err("%s: cannot delete rule %s: %s", ifname, buf,
		       ret == -ENOENT ? "no such rule" : strerror(-ret));
		return ret;
	}
	printf("%s: rule for %s removed\n", ifname, buf);
	return 0;
}

struct list_ctx {
	struct cli *c;
	const char *ifname;
	int count;
};

static int rule_print(const struct xw_rule_view *v, void *arg)
{
	struct list_ctx *l = arg;
	const char *proto = xw_ipproto_name(v->rule.l4_proto);
	char src[XW_PREFIX_STRLEN], dst[XW_PREFIX_STRLEN] = "", l4[128] = "any";
	char flags[XW_TCP_FLAGS_STRLEN] = "";
	char action[32], ttl[24], match[2 * XW_PREFIX_STRLEN + 8];

	xw_prefix_format(&v->src, src, sizeof(src));
	if (v->dst.family)
		xw_prefix_format(&v->dst, dst, sizeof(dst));
	if (v->rule.tcp_flags_mask)
		xw_tcp_flags_format(v->rule.tcp_flags_mask,
				    v->rule.tcp_flags_value, flags,
				    sizeof(flags));
	if (v->rule.l4_proto)
		snprintf(l4, sizeof(l4), "%s%s%.0u%s%.0u%s%s", proto ? proto : "?",
			 v->rule.sport ? " sport " : "", v->rule.sport,
			 v->rule.dport ? " dport " : "", v->rule.dport,
			 *flags ? " flags " : "", flags);
	if (v->rule.action == XW_RULE_RATE_LIMIT)
		snprintf(action, sizeof(action), "rate %u/s", v->rule.rate_pps);
	else
		snprintf(action, sizeof(action), "%s",
			 v->rule.action == XW_RULE_MONITOR ? "monitor" : "drop");
	if (l->c->json) {
		printf("{\"interface\":\"%s\",\"rule_id\":%u,\"origin\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"action\":\"%s\",\"rate_pps\":%u,\"l4_proto\":%u,\"sport\":%u,\"dport\":%u,\"tcp_flags_mask\":%u,\"tcp_flags_value\":%u,\"tcp_flags\":\"%s\",\"ttl_left_s\":%lld,\"expired\":%s,\"hit_packets\":%llu,\"hit_bytes\":%llu}\n",
		       l->ifname, v->rule.rule_id,
		       v->rule.origin == XW_ORIGIN_VERDICT ? "verdict" : "local", src,
		       dst,
		       v->rule.action == XW_RULE_RATE_LIMIT ? "rate-limit" : action,
		       v->rule.rate_pps, v->rule.l4_proto, v->rule.sport,
		       v->rule.dport, v->rule.tcp_flags_mask,
		       v->rule.tcp_flags_value, flags, (long long)v->ttl_left_s,
		       v->ttl_left_s < 0 ? "true" : "false",
		       (unsigned long long)v->hits.packets,
		       (unsigned long long)v->hits.bytes);
	} else {
		if (!l->count)
			printf("%-10s %6s %-43s %-11s %-40s %10s %12s %12s\n",
			       "IFACE", "ID", "MATCH", "ACTION", "L4", "TTL LEFT",
			       "HIT PKTS", "HIT BYTES");
		if (v->ttl_left_s < 0)
			snprintf(ttl, sizeof(ttl), "expired");
		else
			snprintf(ttl, sizeof(ttl), "%llds", (long long)v->ttl_left_s);
		snprintf(match, sizeof(match), "%s%s%s", src, *dst ? " -> " : "",
			 dst);
		printf("%-10s %6u %-43s %-11s %-40s %10s %12llu %12llu\n",
		       l->ifname, v->rule.rule_id, match, action, l4, ttl,
		       (unsigned long long)v->hits.packets,
		       (unsigned long long)v->hits.bytes);
	}
	l->count++;
	return 0;
}

static int rule_list_one(struct cli *c, const char *ifname,
			 const struct xw_maps *m, void *arg)
{
	struct list_ctx l = { c, ifname, 0 };
	int ret = xw_rules__foreach(m, rule_print, &l);

	if (ret)
		pr_err("%s: cannot list rules: %s", ifname, strerror(-ret));
	else if (!l.count && !c->json)
		printf("%s: no rules\n", ifname);
	return ret;
}

static int allow_print(const struct xw_prefix *p, void *arg)
{
	struct list_ctx *l = arg;
	char buf[XW_PREFIX_STRLEN];

	xw_prefix_format(p, buf, sizeof(buf));
	if (l->c->json)
		printf("{\"interface\":\"%s\",\"prefix\":\"%s\"}\n", l->ifname, buf);
	else
		printf("%s: allow %s\n", l->ifname, buf);
	l->count++;
	return 0;
}

static int allow_one(struct cli *c, const char *ifname,
		     const struct xw_maps *m, void *arg)
{
	const char *op = arg;
	char buf[XW_PREFIX_STRLEN];
	struct list_ctx l = { c, ifname, 0 };
	int ret;

	xw_prefix_format(&c->spec.src, buf, sizeof(buf));
	if (!strcmp(op, "list")) {
		ret = xw_allow__foreach(m, allow_print, &l);
		if (!ret && !l.count && !c->json)
			printf("%s: allowlist empty\n", ifname);
	} else if (!strcmp(op, "add")) {
		ret = xw_allow__add(m, &c->spec.src);
		if (!ret)
			printf("%s: allow %s added\n", ifname, buf);
	} else {
		ret = xw_allow__del(m, &c->spec.src);
		if (!ret)
			printf("%s: allow %s removed\n", ifname, buf);
	}
	if (ret)
		pr_err("%s: allow %s %s: %s", ifname, op, buf,
		       ret == -ENOENT ? "no such prefix" :
		       ret == -ENOSPC ? "allowlist full" : strerror(-ret));
	return ret;
}

static int stats_one(struct cli *c, const char *ifname,
		     const struct xw_maps *m, void *arg)
{
	struct xw_config cfg = { 0 };
	struct xw_counter cnt;
	uint64_t v;
	bool first = true;

	xw_config__read(m->config, &cfg);
	if (c->json)
		printf("{\"interface\":\"%s\",\"sample_rate\":%u,\"traffic\":[",
		       ifname, cfg.sample_rate);
	else
		printf("%s (sampling 1:%u)\n  %-7s %-7s %-8s %14s %16s\n", ifname,
		       cfg.sample_rate, "FAMILY", "L4", "ACTION", "PACKETS",
		       "BYTES");
	for (uint32_t ip = 0; ip < XW_IPVER_COUNT; ip++) {
		for (uint32_t l4 = 0; l4 < XW_L4_COUNT; l4++) {
			for (uint32_t act = 0; act < XW_ACT_COUNT; act++) {
				if (xw_percpu_counter_sum(m->traffic,
							  XW_TRAFFIC_IDX(ip, l4, act),
							  &cnt) ||
				    !cnt.packets)
					continue;
				if (c->json)
					printf("%s{\"family\":\"%s\",\"l4\":\"%s\",\"action\":\"%s\",\"packets\":%llu,\"bytes\":%llu}",
					       first ? "" : ",", xw_ipver_name(ip),
					       xw_l4_class_name(l4),
					       xw_action_name(act),
					       (unsigned long long)cnt.packets,
					       (unsigned long long)cnt.bytes);
				else
					printf("  %-7s %-7s %-8s %14llu %16llu\n",
					       xw_ipver_name(ip),
					       xw_l4_class_name(l4),
					       xw_action_name(act),
					       (unsigned long long)cnt.packets,
					       (unsigned long long)cnt.bytes);
				first = false;
			}
		}
	}
	if (c->json)
		printf("],\"events\":{");
	first = true;
	for (uint32_t ev = XW_EV_NONE + 1; ev < XW_EV_COUNT; ev++) {
		if (xw_percpu_u64_sum(m->events, ev, &v))
			continue;
		if (c->json) {
			printf("%s\"%s\":%llu", first ? "" : ",", xw_event_name(ev),
			       (unsigned long long)v);
		} else if (v) {
			if (first)
				printf("  events:\n");
			printf("    %-28s %llu\n", xw_event_name(ev),
			       (unsigned long long)v);
		} else {
			continue;
		}
		first = false;
	}
	if (c->json)
		printf("}}\n");
	return 0;
}

static int sample_one(struct cli *c, const char *ifname,
		      const struct xw_maps *m, void *arg)
{
	struct xw_config cfg;
	uint32_t rate = *(uint32_t *)arg;
	int ret = xw_config__read(m->config, &cfg);

	if (!ret)
		ret = xw_config__write(m->config, rate, cfg.wakeup_bytes);
	if (ret) {
		pr_err("%s: cannot set sampling: %s", ifname, strerror(-ret));
		return ret;
	}
	printf("%s: sampling 1:%u (was 1:%u)\n", ifname, rate, cfg.sample_rate);
	return 0;
}

static int unpin(struct cli *c, const char *ifname)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s.lock", c->lock_dir, ifname);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
		pr_err("%s: a collector is running on it (lock %s); stop it first",
		       ifname, path);
		close(fd);
		return -EBUSY;
	}
	if (xw_pin_path(c->pin_root, ifname, NULL, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	for (size_t i = 0; i <= xw_map_pin_count; i++) {
		const char *name = i < xw_map_pin_count ? xw_map_pin_names[i] :
							  XW_LINK_PIN_NAME;

		if (xw_pin_path(c->pin_root, ifname, name, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT) {
			pr_err("cannot remove %s: %s", path, strerror(errno));
			err = -errno;
		}
	}
	if (!err && rmdir(dir) && errno != ENOENT) {
		pr_err("cannot remove %s: %s (unknown files left there)", dir,
		       strerror(errno));
		err = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (!err)
		printf("%s: pins removed from %s\n", ifname, dir);
	return err;
}

static int need_prefix(struct cli *c, int argc, char **argv, int i)
{
	char err[200];

	if (i >= argc) {
		pr_err("a prefix is needed (e.g. 198.51.100.0/24 or 2001:db8::/32)");
		return -EINVAL;
	}
	if (xw_prefix_parse(argv[i], &c->spec.src, err, sizeof(err))) {
		pr_err("%s", err);
		return -EINVAL;
	}
	return 0;
}

static int parse_u16(const char *what, const char *text, uint16_t *out)
{
	char err[160];
	uint64_t v;

	if (xw_uint_parse(text, 1, 65535, &v, err, sizeof(err))) {
		pr_err("--%s: %s", what, err);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

/* --tcp-flags qualifies TCP only: say so rather than let it vanish. */
static int tcp_flags_need_tcp(const struct cli *c)
{
	if (c->tcp_flags && c->spec.l4_proto != 6) {
		pr_err("--tcp-flags %s needs --proto tcp: TCP flags exist only in TCP headers",
		       c->tcp_flags);
		return -EINVAL;
	}
	return 0;
}

static int verdict_dispatch(struct cli *c, int npos, char **pos,
			    const char *sub)
{
	struct xw_verdict_cmd vc = {
		.props = &c->kafka,
		.topic = c->topic ? c->topic : XW_VERDICT_TOPIC_DEFAULT,
		.key_path = c->key_path,
		.trusted_keys = c->trusted_keys ? c->trusted_keys :
						  "/etc/xdpwatch/trusted-keys",
		.rule_id = c->rule_id,
		.issuer = c->issuer ? c->issuer : "soc:cli",
		.reason = c->reason ? c->reason : "",
		.max_ttl_s = XW_RULE_MAX_TTL_DEFAULT,
		.idle_ms = c->idle_timeout_ms ? c->idle_timeout_ms : 3000,
	};
	char copy[XW_CFG_STR_MAX], *save = NULL, *tok;

	if (!strcmp(sub, "list"))
		return xw_cmd_verdict_list(&vc) ? -EIO : 0;
	if (strcmp(sub, "add") && strcmp(sub, "withdraw")) {
		pr_err("verdict takes add, withdraw or list");
		return -EINVAL;
	}
	if (!c->key_path) {
		pr_err("verdict %s needs --key FILE (a <key id>.key from xdpwatch keygen)",
		       sub);
		return -EINVAL;
	}
	if (!strcmp(sub, "withdraw")) {
		vc.rule_id = npos > 2 ? pos[2] : c->rule_id;
		return xw_cmd_verdict_withdraw(&vc) ? -EIO : 0;
	}
	if (need_prefix(c, npos, pos, 2))
		return -EINVAL;
	if (!c->have_ttl || c->spec.ttl_s > UINT32_MAX) {
		pr_err("verdict add needs --ttl (e.g. --ttl 5m): every rule expires");
		return -EINVAL;
	}
	if (tcp_flags_need_tcp(c))
		return -EINVAL;
	vc.v.src = c->spec.src;
	vc.v.dst = c->dst;
	vc.v.l4_proto = c->spec.l4_proto;
	vc.v.sport = c->spec.sport;
	vc.v.dport = c->spec.dport;
	vc.v.tcp_flags_mask = c->spec.tcp_flags_mask;
	vc.v.tcp_flags_value = c->spec.tcp_flags_value;
	vc.v.ttl_s = (uint32_t)c->spec.ttl_s;
	vc.v.action = c->rate_pps ? XW_VERDICT_RATE_LIMIT :
		      c->spec.action == XW_RULE_MONITOR ? XW_VERDICT_MONITOR :
							  XW_VERDICT_DROP;
	vc.v.rate_pps = c->rate_pps;
	vc.v.all_hosts = !*c->targets;
	snprintf(copy, sizeof(copy), "%s", c->targets);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int *n = c->targets_are_groups ? &vc.v.ngroups : &vc.v.nhosts;
		char (*list)[XW_TARGET_MAX] = c->targets_are_groups ? vc.v.groups :
								      vc.v.hosts;

		if (*n >= XW_TARGETS_MAX || strlen(tok) >= XW_TARGET_MAX) {
			pr_err("at most %d targets of %d characters", XW_TARGETS_MAX,
			       XW_TARGET_MAX - 1);
			return -EINVAL;
		}
		strcpy(list[(*n)++], tok);
	}
	return xw_cmd_verdict_add(&vc) ? -EIO : 0;
}

static int dispatch(struct cli *c, int npos, char **pos)
{
	const char *cmd = pos[0], *sub = npos > 1 ? pos[1] : "";
	char err[200];
	uint64_t rate;
	uint32_t r32;
	int ret;

	if (!strcmp(cmd, "rule") && !strcmp(sub, "add")) {
		if (need_prefix(c, npos, pos, 2))
			return -EINVAL;
		if (!c->have_ttl) {
			pr_err("rule add needs --ttl (e.g. --ttl 5m): every rule expires");
			return -EINVAL;
		}
		if (tcp_flags_need_tcp(c))
			return -EINVAL;
		ret = xw_rule_spec_validate(&c->spec, NULL, err, sizeof(err));
		if (ret) {
			pr_err("rule refused: %s", err);
			return -EINVAL;
		}
		return for_each_iface(c, rule_add_one, NULL) ? -EIO : 0;
	}
	if (!strcmp(cmd, "rule") && !strcmp(sub, "del")) {
		if (need_prefix(c, npos, pos, 2))
			return -EINVAL;
		return for_each_iface(c, rule_del_one, NULL) ? -EIO : 0;
	}
	if (!strcmp(cmd, "rule") && !strcmp(sub, "list"))
		return for_each_iface(c, rule_list_one, NULL) ? -EIO : 0;
	if (!strcmp(cmd, "allow") && (!strcmp(sub, "add") || !strcmp(sub, "del"))) {
		if (need_prefix(c, npos, pos, 2))
			return -EINVAL;
		return for_each_iface(c, allow_one, (void *)sub) ? -EIO : 0;
	}
	if (!strcmp(cmd, "allow") && !strcmp(sub, "list"))
		return for_each_iface(c, allow_one, (void *)"list") ? -EIO : 0;
	if (!strcmp(cmd, "stats"))
		return for_each_iface(c, stats_one, NULL) ? -EIO : 0;
	if (!strcmp(cmd, "sample")) {
		if (xw_uint_parse(sub, 0, 1000000, &rate, err, sizeof(err))) {
			pr_err("sample: %s", err);
			return -EINVAL;
		}
		r32 = (uint32_t)rate;
		return for_each_iface(c, sample_one, &r32) ? -EIO : 0;
	}
	if (!strcmp(cmd, "keygen")) {
		if (!c->key_id) {
			pr_err("keygen needs --key-id ID");
			return -EINVAL;
		}
		return xw_cmd_keygen(c->key_dir ? c->key_dir : ".", c->key_id) ? -EIO : 0;
	}
	if (!strcmp(cmd, "verdict"))
		return verdict_dispatch(c, npos, pos, sub);
	if (!strcmp(cmd, "tail")) {
		struct xw_tail_opts to = {
			.props = &c->kafka,
			.topic = c->topic ? c->topic : "xdpwatch.features.v1",
			.from_beginning = c->from_beginning,
			.max = c->max,
			.idle_timeout_ms = c->idle_timeout_ms,
		};

		return xw_tail(&to) ? -EIO : 0;
	}
	if (!strcmp(cmd, "top")) {
		struct xw_top_opts to = {
			.pin_root = c->pin_root,
			.ifaces = c->ifaces,
			.nifaces = c->nifaces,
			.interval_ms = c->interval_ms ? c->interval_ms : 1000,
			.once = c->once,
			.json = c->json,
			.top_n = c->top_n ? (size_t)c->top_n : 10,
			.width = (unsigned int)c->width,
			.kafka = c->kafka_top,
			.props = &c->kafka,
			.features_topic = c->features_topic ? c->features_topic :
							      XW_TOP_FEATURES_TOPIC,
			.alerts_topic = c->alerts_topic ? c->alerts_topic :
							  XW_TOP_ALERTS_TOPIC,
			.host = c->host,
		};

		if (*sub) {
			pr_err("top takes no argument ('%s'); see --help", sub);
			return -EINVAL;
		}
		return xw_top(&to) ? -EIO : 0;
	}
	if (!strcmp(cmd, "unpin")) {
		if (!*sub) {
			pr_err("unpin needs an interface name");
			return -EINVAL;
		}
		return unpin(c, sub) ? -EIO : 0;
	}
	pr_err("unknown command '%s%s%s' (see --help)", cmd, *sub ? " " : "", sub);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	enum { OPT_PIN_ROOT = 256, OPT_LOCK_DIR, OPT_JSON, OPT_TTL, OPT_MONITOR,
	       OPT_PROTO, OPT_SPORT, OPT_DPORT, OPT_TOPIC, OPT_FROM_BEGINNING,
	       OPT_MAX, OPT_IDLE, OPT_BOOTSTRAP, OPT_SET, OPT_KEY, OPT_KEY_DIR,
	       OPT_KEY_ID, OPT_RULE_ID, OPT_DST, OPT_RATE, OPT_HOSTS, OPT_GROUPS,
	       OPT_REASON, OPT_ISSUER, OPT_TRUSTED, OPT_TCP_FLAGS, OPT_INTERVAL,
	       OPT_ONCE, OPT_TOP, OPT_WIDTH, OPT_KAFKA, OPT_FEATURES_TOPIC,
	       OPT_ALERTS_TOPIC, OPT_HOST };
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
		{ "lock-dir", required_argument, NULL, OPT_LOCK_DIR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "monitor", no_argument, NULL, OPT_MONITOR },
		{ "proto", required_argument, NULL, OPT_PROTO },
		{ "sport", required_argument, NULL, OPT_SPORT },
		{ "dport", required_argument, NULL, OPT_DPORT },
		{ "tcp-flags", required_argument, NULL, OPT_TCP_FLAGS },
		{ "topic", required_argument, NULL, OPT_TOPIC },
		{ "from-beginning", no_argument, NULL, OPT_FROM_BEGINNING },
		{ "max", required_argument, NULL, OPT_MAX },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
		{ "set", required_argument, NULL, OPT_SET },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "key-dir", required_argument, NULL, OPT_KEY_DIR },
		{ "key-id", required_argument, NULL, OPT_KEY_ID },
		{ "rule-id", required_argument, NULL, OPT_RULE_ID },
		{ "dst", required_argument, NULL, OPT_DST },
		{ "rate-limit", required_argument, NULL, OPT_RATE },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "groups", required_argument, NULL, OPT_GROUPS },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "issuer", required_argument, NULL, OPT_ISSUER },
		{ "trusted-keys", required_argument, NULL, OPT_TRUSTED },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "kafka", required_argument, NULL, OPT_KAFKA },
		{ "features-topic", required_argument, NULL, OPT_FEATURES_TOPIC },
		{ "alerts-topic", required_argument, NULL, OPT_ALERTS_TOPIC },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli c = { .pin_root = XW_PIN_ROOT_DEFAULT,
			 .lock_dir = "/run/xdpwatch" };
	const char *bootstrap = getenv("XW_KAFKA_BOOTSTRAP");
	char err[200];
	uint64_t v;
	int opt, proto;

	if (!bootstrap || !*bootstrap)
		bootstrap = "127.0.0.1:19092";
	xw_log_set_program("xdpwatch");
	xw_log_set_level(XW_LOG_WARN);
	/* GNU getopt permutes: options may follow the command words. */
	while ((opt = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (c.nifaces >= MAX_IFACES) {
				pr_err("more than %d interfaces", MAX_IFACES);
				return 2;
			}
			c.ifaces[c.nifaces++] = optarg;
			break;
		case OPT_PIN_ROOT: c.pin_root = optarg; break;
		case OPT_LOCK_DIR: c.lock_dir = optarg; break;
		case OPT_JSON: c.json = true; break;
		case OPT_TTL:
			if (xw_duration_parse(optarg, &c.spec.ttl_s, err,
					      sizeof(err))) {
				pr_err("--ttl: %s", err);
				return 2;
			}
			c.have_ttl = true;
			break;
		case OPT_MONITOR: c.spec.action = XW_RULE_MONITOR; break;
		case OPT_PROTO:
			proto = xw_ipproto_parse(optarg);
			if (proto < 0) {
				pr_err("--proto: '%s' is not tcp, udp, icmp, icmpv6 or a number 1-255",
				       optarg);
				return 2;
			}
			c.spec.l4_proto = (uint8_t)proto;
			break;
		case OPT_SPORT:
			if (parse_u16("sport", optarg, &c.spec.sport))
				return 2;
			break;
		case OPT_DPORT:
			if (parse_u16("dport", optarg, &c.spec.dport))
				return 2;
			break;
		case OPT_TCP_FLAGS:
			if (xw_tcp_flags_parse(optarg, &c.spec.tcp_flags_mask,
					       &c.spec.tcp_flags_value, err,
					       sizeof(err))) {
				pr_err("--tcp-flags: %s", err);
				return 2;
			}
			c.tcp_flags = optarg;
			break;
		case OPT_TOPIC: c.topic = optarg; break;
		case OPT_FROM_BEGINNING: c.from_beginning = true; break;
		case OPT_MAX:
		case OPT_IDLE:
			if (xw_uint_parse(optarg, 1, opt == OPT_MAX ? UINT64_MAX : 86400,
					  &v, err, sizeof(err))) {
				pr_err("--%s: %s", opt == OPT_MAX ? "max" : "idle-timeout",
				       err);
				return 2;
			}
			if (opt == OPT_MAX)
				c.max = v;
			else
				c.idle_timeout_ms = (int)v * 1000;
			break;
		case OPT_BOOTSTRAP: bootstrap = optarg; break;
		case OPT_KEY: c.key_path = optarg; break;
		case OPT_KEY_DIR: c.key_dir = optarg; break;
		case OPT_KEY_ID: c.key_id = optarg; break;
		case OPT_RULE_ID: c.rule_id = optarg; break;
		case OPT_REASON: c.reason = optarg; break;
		case OPT_ISSUER: c.issuer = optarg; break;
		case OPT_TRUSTED: c.trusted_keys = optarg; break;
		case OPT_DST:
			if (xw_prefix_parse(optarg, &c.dst, err, sizeof(err))) {
				pr_err("--dst: %s", err);
				return 2;
			}
			break;
		case OPT_RATE:
			if (xw_uint_parse(optarg, 1, UINT32_MAX, &c.rate_pps, err,
					  sizeof(err))) {
				pr_err("--rate-limit: %s", err);
				return 2;
			}
			break;
		case OPT_HOSTS:
		case OPT_GROUPS:
			if (*c.targets) {
				pr_err("give --hosts or --groups once");
				return 2;
			}
			snprintf(c.targets, sizeof(c.targets), "%s", optarg);
			c.targets_are_groups = opt == OPT_GROUPS;
			break;
		case OPT_SET:
			if (strncmp(optarg, "kafka.", 6) || !strchr(optarg, '=') ||
			    c.kafka.count >= XW_CFG_KV_MAX) {
				pr_err("--set takes kafka.PROPERTY=VALUE, not '%s'", optarg);
				return 2;
			}
			snprintf(c.kafka.key[c.kafka.count], XW_CFG_KEY_MAX, "%.*s",
				 (int)(strchr(optarg, '=') - optarg - 6), optarg + 6);
			snprintf(c.kafka.value[c.kafka.count++], XW_CFG_STR_MAX, "%s",
				 strchr(optarg, '=') + 1);
			break;
		case OPT_INTERVAL: {
			char *end;
			double sec = strtod(optarg, &end);

			if (end == optarg || *end || !(sec >= 0.1 && sec <= 3600)) {
				pr_err("--interval: '%s' is not a number of seconds from 0.1 to 3600",
				       optarg);
				return 2;
			}
			c.interval_ms = (uint64_t)(sec * 1000 + 0.5);
			break;
		}
		case OPT_ONCE: c.once = true; break;
		case OPT_TOP:
		case OPT_WIDTH:
			if (xw_uint_parse(optarg, opt == OPT_TOP ? 1 : 20,
					  opt == OPT_TOP ? 64 : 1000, &v, err,
					  sizeof(err))) {
				pr_err("--%s: %s", opt == OPT_TOP ? "top" : "width", err);
				return 2;
			}
			if (opt == OPT_TOP)
				c.top_n = v;
			else
				c.width = v;
			break;
		case OPT_KAFKA:
			c.kafka_top = optarg;
			bootstrap = optarg;
			break;
		case OPT_FEATURES_TOPIC: c.features_topic = optarg; break;
		case OPT_ALERTS_TOPIC: c.alerts_topic = optarg; break;
		case OPT_HOST: c.host = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (c.kafka.count < XW_CFG_KV_MAX && !xw_cfg_kv_get(&c.kafka, "bootstrap.servers")) {
		snprintf(c.kafka.key[c.kafka.count], XW_CFG_KEY_MAX, "bootstrap.servers");
		snprintf(c.kafka.value[c.kafka.count++], XW_CFG_STR_MAX, "%s",
			 bootstrap);
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	switch (dispatch(&c, argc - optind, argv + optind)) {
	case 0: return 0;
	case -EINVAL: return 2;
	default: return 1;
	}
}
