// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* publish.c - verdicts and alerts out. See publish.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "log.h"
#include "publish.h"
#include "sign.h"

struct xw_publisher {
	struct xw_producer *verdicts, *alerts;
	struct xw_signing_key key;
	bool have_key;
	const char *verdicts_topic;
	FILE *json;
	bool json_close;
	struct xw_publisher_stats st;
};

static const struct xw_kafka_header envelope_hdrs[] = {
	{ "schema", "xdpwatch.v1.SignedEnvelope" },
	{ "schema_version", "1" },
};

static const struct xw_kafka_header alert_hdrs[] = {
	{ "schema", "xdpwatch.v1.Alert" },
	{ "schema_version", "1" },
};

static int producer(struct xw_producer **out, const struct xw_publisher_opts *o,
		    const char *topic, char *err, size_t errlen)
{
	char why[512];
	int ret = xw_producer__new(out, o->props, topic, why, sizeof(why));

	if (!ret && o->check_ms)
		ret = xw_producer__check(*out, o->check_ms, why, sizeof(why));
	if (ret)
		return xw_err(err, errlen, ret, "kafka (%s): %s", topic, why);
	return 0;
}

int xw_publisher__new(struct xw_publisher **out,
		      const struct xw_publisher_opts *o, char *err,
		      size_t errlen)
{
	struct xw_publisher *p = calloc(1, sizeof(*p));
	char why[512];
	int ret;

	if (!p)
		return -ENOMEM;
	p->verdicts_topic = o->verdicts_topic;
	if (*o->signing_key) {
		ret = xw_signing_key_load(o->signing_key, &p->key, why, sizeof(why));
		if (ret) {
			xw_err(err, errlen, ret, "signing_key: %s", why);
			goto fail;
		}
		p->have_key = true;
		ret = producer(&p->verdicts, o, o->verdicts_topic, err, errlen);
		if (ret)
			goto fail;
	}
	if (*o->alerts_topic) {
		ret = producer(&p->alerts, o, o->alerts_topic, err, errlen);
		if (ret)
			goto fail;
	}
	if (!strcmp(o->alerts_json, "-")) {
		p->json = stdout;
	} else if (strcmp(o->alerts_json, "none")) {
		p->json = fopen(o->alerts_json, "ae");
		if (!p->json) {
			ret = xw_err(err, errlen, -errno, "alerts_json: cannot open %s: %s",
				     o->alerts_json, strerror(errno));
			goto fail;
		}
		p->json_close = true;
	}
	*out = p;
	return 0;
fail:
	xw_publisher__free(p);
	return ret;
}

int xw_publisher__verdict(struct xw_publisher *p,
			  const struct xw_verdict_msg *m)
{
	uint8_t *buf = NULL;
	size_t len;
	int ret;

	if (!p->have_key)
		return -ENOKEY;
	ret = xw_envelope_seal(m, p->verdicts_topic, &p->key, &buf, &len);
	if (!ret)
		ret = xw_producer__produce(p->verdicts, m->rule_id,
					   strlen(m->rule_id), buf, len, 1,
					   envelope_hdrs, 2);
	free(buf);
	if (ret) {
		p->st.verdicts_refused++;
		pr_warn("verdict %s not published: %s", m->rule_id, strerror(-ret));
		return ret;
	}
	p->st.verdicts++;
	return 0;
}

void xw_publisher__alert(struct xw_publisher *p, const struct xw_alert *a)
{
	uint8_t *buf = NULL;
	size_t len;

	if (p->json) {
		xw_alert_json(a, p->json);
		fflush(p->json);
		p->st.json_lines++;
	}
	if (!p->alerts)
		return;
	if (xw_alert_pack(a, &buf, &len) ||
	    xw_producer__produce(p->alerts, a->attack_id, strlen(a->attack_id),
				 buf, len, 1, alert_hdrs, 2)) {
		p->st.alerts_refused++;
	} else {
		p->st.alerts++;
	}
	free(buf);
}

void xw_publisher__poll(struct xw_publisher *p)
{
	if (p->verdicts)
		xw_producer__poll(p->verdicts);
	if (p->alerts)
		xw_producer__poll(p->alerts);
}

void xw_publisher__flush(struct xw_publisher *p, int timeout_ms)
{
	if (p->verdicts)
		xw_producer__flush(p->verdicts, timeout_ms);
	if (p->alerts)
		xw_producer__flush(p->alerts, timeout_ms);
}

const struct xw_publisher_stats *
xw_publisher__stats(const struct xw_publisher *p)
{
	return &p->st;
}

const struct xw_producer_stats *
xw_publisher__verdict_stats(struct xw_publisher *p)
{
	return p->verdicts ? xw_producer__stats(p->verdicts) : NULL;
}

void xw_publisher__free(struct xw_publisher *p)
{
	if (!p)
		return;
	xw_producer__destroy(p->verdicts);
	xw_producer__destroy(p->alerts);
	if (p->json_close)
		fclose(p->json);
	memset(&p->key, 0, sizeof(p->key));
	free(p);
}
