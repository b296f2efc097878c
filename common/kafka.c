// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kafka.c - see kafka.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "log.h"

struct xw_producer {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct xw_cfg_kv props;
	char topic[256];
	struct xw_producer_stats stats;
	bool fatal;
};

/*
 * Applied first, so the config's kafka { } group overrides each of them.
 * Idempotence with acks=all: no duplicates and no reordering across
 * retries. The queue bound is what keeps memory bounded when the broker
 * is away; message.timeout.ms is how long a batch may wait for it.
 */
static const char *const defaults[][2] = {
	{ "enable.idempotence", "true" },
	{ "acks", "all" },
	{ "compression.type", "lz4" },
	{ "linger.ms", "5" },
	{ "queue.buffering.max.kbytes", "65536" },
	{ "queue.buffering.max.messages", "10000" },
	{ "message.timeout.ms", "300000" },
	{ "client.id", "xdpwatch" },
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct xw_producer *p = opaque;
	uint32_t records = (uint32_t)(uintptr_t)m->_private;

	if (!m->err) {
		p->stats.msgs_delivered++;
		p->stats.records_delivered += records;
		return;
	}
	p->stats.msgs_failed++;
	p->stats.records_failed += records;
	if (rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED)
		p->stats.msgs_possibly_persisted++;
	pr_warn("kafka: a batch of %u records was not delivered: %s%s", records,
		rd_kafka_err2str(m->err),
		rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED ?
			" (it may still be in the log)" :
			"");
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct xw_producer *p = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[512];

		rd_kafka_fatal_error(rk, why, sizeof(why));
		pr_err("kafka: fatal producer error: %s; the producer will be rebuilt",
		       why);
		p->fatal = true;
		return;
	}
	/* Transient (broker down, retries): librdkafka recovers by itself. */
	pr_warn("kafka: %s", reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	if (level <= 3)
		pr_err("kafka: %s: %s", fac, buf);
	else if (level <= 4)
		pr_warn("kafka: %s: %s", fac, buf);
	else
		pr_debug("kafka: %s: %s", fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v,
		    char *err, size_t errlen)
{
	char why[512];

	if (rd_kafka_conf_set(conf, k, v, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka.%s = \"%s\": %s", k, v, why);
		return -EINVAL;
	}
	return 0;
}

static int producer_start(struct xw_producer *p, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512];

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (conf_set(conf, defaults[i][0], defaults[i][1], err, errlen))
			goto fail;
	for (unsigned int i = 0; i < p->props.count; i++)
		if (conf_set(conf, p->props.key[i], p->props.value[i], err, errlen))
			goto fail;
	if (!xw_cfg_kv_get(&p->props, "bootstrap.servers") &&
	    !xw_cfg_kv_get(&p->props, "metadata.broker.list")) {
		snprintf(err, errlen, "kafka.bootstrap.servers is not set");
		goto fail;
	}
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);

	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!p->rk) {
		snprintf(err, errlen, "cannot create the Kafka producer: %s", why);
		goto fail;
	}
	p->rkt = rd_kafka_topic_new(p->rk, p->topic, NULL);
	if (!p->rkt) {
		snprintf(err, errlen, "topic '%s': %s", p->topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_destroy(p->rk);
		p->rk = NULL;
		return -EINVAL;
	}
	p->fatal = false;
	return 0;
fail:
	if (!p->rk)
		rd_kafka_conf_destroy(conf);
	return -EINVAL;
}

static void producer_stop(struct xw_producer *p)
{
	if (!p->rk)
		return;
	/* Messages still queued get failed delivery reports while we purge. */
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(p->rk, 0);
	rd_kafka_topic_destroy(p->rkt);
	rd_kafka_destroy(p->rk);
	p->rk = NULL;
	p->rkt = NULL;
}

int xw_producer__new(struct xw_producer **out, const struct xw_cfg_kv *props,
		     const char *topic, char *err, size_t errlen)
{
	struct xw_producer *p;
	int ret;

	/* Kafka's own rule: [a-zA-Z0-9._-], 1..249 characters. */
	if (!*topic || strlen(topic) > 249 ||
	    strspn(topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(topic)) {
		snprintf(err, errlen,
			 "'%s' is not a valid Kafka topic name ([a-zA-Z0-9._-], 1 to 249 characters)",
			 topic);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->props = *props;
	snprintf(p->topic, sizeof(p->topic), "%s", topic);
	ret = producer_start(p, err, errlen);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int xw_producer__produce(struct xw_producer *p, const void *key,
			 size_t keylen, const void *buf, size_t len,
			 uint32_t records, const struct xw_kafka_header *hdrs,
			 size_t nhdrs)
{
	rd_kafka_headers_t *h;
	rd_kafka_resp_err_t err;

	if (!p->rk) {
		/* The rebuild after a fatal error failed: nothing can go out. */
		p->stats.msgs_failed++;
		p->stats.records_failed += records;
		return -ENOTCONN;
	}
	h = rd_kafka_headers_new(nhdrs);

	for (size_t i = 0; i < nhdrs; i++)
		rd_kafka_header_add(h, hdrs[i].name, -1, hdrs[i].value, -1);
	err = rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(p->rkt),
				RD_KAFKA_V_KEY(key, keylen),
				RD_KAFKA_V_VALUE((void *)buf, len),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_HEADERS(h),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)records),
				RD_KAFKA_V_END);
	if (err) {
		rd_kafka_headers_destroy(h); /* ours again when produce fails */
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			p->stats.msgs_queue_full++;
			p->stats.records_queue_full += records;
			return -ENOBUFS;
		}
		pr_err("kafka: cannot produce a batch of %u records: %s", records,
		       rd_kafka_err2str(err));
		p->stats.msgs_failed++;
		p->stats.records_failed += records;
		return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? -EMSGSIZE : -EIO;
	}
	p->stats.msgs_produced++;
	p->stats.records_produced += records;
	return 0;
}

void xw_producer__poll(struct xw_producer *p)
{
	char err[512];

	if (!p->rk) {
		/* A rebuild failed before: try again, once per poll. */
		if (!producer_start(p, err, sizeof(err)))
			pr_info("kafka: producer rebuilt");
		return;
	}
	rd_kafka_poll(p->rk, 0);
	if (!p->fatal)
		return;
	/*
	 * A fatal error leaves this producer unusable for good (librdkafka
	 * 2.0.2 raises one on idempotence sequence desync after a broker
	 * bounce). Rebuild it rather than die; what was queued is reported
	 * failed by the purge.
	 */
	producer_stop(p);
	p->stats.fatal_restarts++;
	if (producer_start(p, err, sizeof(err)))
		pr_err("kafka: cannot rebuild the producer: %s", err);
	else
		pr_info("kafka: producer rebuilt after a fatal error");
}

int xw_producer__check(struct xw_producer *p, int timeout_ms, char *err,
		       size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e;
	int ret = 0;

	e = rd_kafka_metadata(p->rk, 0, p->rkt, &md, timeout_ms);
	if (e) {
		snprintf(err, errlen, "no broker of %s answered within %d ms (%s)",
			 xw_cfg_kv_get(&p->props, "bootstrap.servers") ?: "?",
			 timeout_ms, rd_kafka_err2str(e));
		return e == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -EIO;
	}
	if (md->topic_cnt != 1 || md->topics[0].err) {
		e = md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		snprintf(err, errlen, "topic %s: %s", p->topic, rd_kafka_err2str(e));
		ret = e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? -ENOENT : -EIO;
	}
	rd_kafka_metadata_destroy(md);
	return ret;
}

int xw_producer__flush(struct xw_producer *p, int timeout_ms)
{
	rd_kafka_resp_err_t err;

	if (!p->rk)
		return -ENOTCONN;
	err = rd_kafka_flush(p->rk, timeout_ms);
	if (err != RD_KAFKA_RESP_ERR__TIMED_OUT)
		return 0;
	/* Give up on what is left now, not at destroy: its failed delivery
	 * reports are counted before the caller reads the final stats. */
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(p->rk, 0);
	return -ETIMEDOUT;
}

void xw_producer__destroy(struct xw_producer *p)
{
	if (!p)
		return;
	if (p->rk && rd_kafka_outq_len(p->rk) > 0)
		pr_warn("kafka: %d messages or requests still queued at shutdown; undelivered messages are counted as failed",
			rd_kafka_outq_len(p->rk));
	producer_stop(p);
	free(p);
}

const struct xw_producer_stats *xw_producer__stats(struct xw_producer *p)
{
	p->stats.queue_len = p->rk ? (uint64_t)rd_kafka_outq_len(p->rk) : 0;
	return &p->stats;
}

int xw_producer__inject_fatal(struct xw_producer *p)
{
	rd_kafka_resp_err_t err = rd_kafka_test_fatal_error(
		p->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
		"injected by xdpwatch test");

	return err ? -EINVAL : 0;
}

#define XW_CONSUMER_MAX_PARTITIONS 256

struct xw_consumer {
	rd_kafka_t *rk;
	rd_kafka_message_t *last;
	char schema[128];
	/* new_all only: per partition, next offset to read and the end
	 * offset at start */
	int wake_fd; /* -1 until xw_consumer__wake_fd */
	int npart;
	int64_t next[XW_CONSUMER_MAX_PARTITIONS];
	int64_t end[XW_CONSUMER_MAX_PARTITIONS];
	/* new_group only */
	xw_rebalance_fn on_rebalance;
	void *rebalance_ctx;
};

/*
 * The part every consumer shares: conf (holding the caller's defaults)
 * takes the props over them, becomes a consumer, and subscribes to
 * topic, unless topic is NULL (the caller assigns partitions itself).
 * conf is consumed; c is freed on failure.
 */
static int consumer_start(struct xw_consumer *c, rd_kafka_conf_t *conf,
			  const struct xw_cfg_kv *props, const char *topic,
			  struct xw_consumer **out, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t e;
	char why[512];

	for (unsigned int i = 0; i < props->count; i++)
		if (conf_set(conf, props->key[i], props->value[i], err, errlen))
			goto fail;
	rd_kafka_conf_set_log_cb(conf, on_log);
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
	if (!c->rk) {
		snprintf(err, errlen, "cannot create the Kafka consumer: %s", why);
		goto fail;
	}
	rd_kafka_poll_set_consumer(c->rk);
	if (!topic) {
		*out = c;
		return 0;
	}
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(c->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e) {
		snprintf(err, errlen, "cannot subscribe to %s: %s", topic,
			 rd_kafka_err2str(e));
		rd_kafka_destroy(c->rk);
		free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
fail:
	rd_kafka_conf_destroy(conf);
	free(c);
	return -EINVAL;
}

/*
 * A reader with a group of its own, subscribed to topic or (NULL) not
 * yet reading. librdkafka wants a group.id even from a consumer that only
 * assigns; one that never subscribes or commits only looks the group's
 * coordinator up (DESCRIBE on the group, under ACLs), never joins it.
 */
static int reader_new(struct xw_consumer **out, const struct xw_cfg_kv *props,
		      const char *topic, bool from_beginning, char *err,
		      size_t errlen)
{
	struct xw_consumer *c = calloc(1, sizeof(*c));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	static unsigned int seq; /* two readers in one process and second */
	char group[80];

	if (!c) {
		rd_kafka_conf_destroy(conf);
		return -ENOMEM;
	}
	c->wake_fd = -1;
	/* A group of its own: every reader sees every message. */
	snprintf(group, sizeof(group), "xdpwatch-reader-%d-%ld-%u", getpid(),
		 (long)time(NULL), seq++);
	if (conf_set(conf, "group.id", group, err, errlen) ||
	    conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    conf_set(conf, "auto.offset.reset",
		     from_beginning ? "earliest" : "latest", err, errlen))
		goto fail;
	return consumer_start(c, conf, props, topic, out, err, errlen);
fail:
	rd_kafka_conf_destroy(conf);
	free(c);
	return -EINVAL;
}

int xw_consumer__new(struct xw_consumer **out, const struct xw_cfg_kv *props,
		     const char *topic, bool from_beginning, char *err,
		     size_t errlen)
{
	return reader_new(out, props, topic, from_beginning, err, errlen);
}

int xw_consumer__next(struct xw_consumer *c, int timeout_ms,
		      struct xw_kafka_msg *msg)
{
	rd_kafka_headers_t *hdrs;
	const void *v;
	size_t vlen;

	if (c->last) {
		rd_kafka_message_destroy(c->last);
		c->last = NULL;
	}
	c->last = rd_kafka_consumer_poll(c->rk, timeout_ms);
	if (!c->last)
		return 0;
	if (c->last->err) {
		/* Reaching a partition's end is news, not an error. */
		if (c->last->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			return 0;
		pr_warn("kafka: %s", rd_kafka_message_errstr(c->last));
		return c->last->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
				       c->last->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ?
			       -ENOENT :
			       0;
	}
	if (c->last->partition >= 0 && c->last->partition < c->npart)
		c->next[c->last->partition] = c->last->offset + 1;
	memset(msg, 0, sizeof(*msg));
	msg->key = c->last->key;
	msg->keylen = c->last->key_len;
	msg->value = c->last->payload;
	msg->len = c->last->len;
	msg->partition = c->last->partition;
	msg->offset = c->last->offset;
	if (!rd_kafka_message_headers(c->last, &hdrs) &&
	    !rd_kafka_header_get_last(hdrs, "schema", &v, &vlen) && v) {
		snprintf(c->schema, sizeof(c->schema), "%.*s", (int)vlen,
			 (const char *)v);
		msg->schema = c->schema;
	}
	return 1;
}

int xw_consumer__new_all(struct xw_consumer **out, const struct xw_cfg_kv *props,
			 const char *topic, int timeout_ms, char *err,
			 size_t errlen)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = NULL;
	struct xw_consumer *c;
	rd_kafka_resp_err_t e;
	int ret;

	/* Assigned, never subscribed: no group is joined (nor needs READ). */
	ret = reader_new(&c, props, NULL, true, err, errlen);
	if (ret)
		return ret;
	rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	e = rkt ? rd_kafka_metadata(c->rk, 0, rkt, &md, timeout_ms) :
		  rd_kafka_last_error();
	if (!e && (md->topic_cnt != 1 || md->topics[0].err))
		e = md->topic_cnt ? md->topics[0].err :
				    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	if (e) {
		snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(e));
		ret = e == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -ENOENT;
		goto out;
	}
	c->npart = md->topics[0].partition_cnt;
	if (c->npart > XW_CONSUMER_MAX_PARTITIONS) {
		snprintf(err, errlen, "topic %s has %d partitions, more than %d",
			 topic, c->npart, XW_CONSUMER_MAX_PARTITIONS);
		ret = -E2BIG;
		goto out;
	}
	parts = rd_kafka_topic_partition_list_new(c->npart);
	for (int i = 0; i < c->npart; i++) {
		int64_t lo, hi;

		e = rd_kafka_query_watermark_offsets(c->rk, topic, i, &lo, &hi,
						     timeout_ms);
		if (e) {
			snprintf(err, errlen, "topic %s partition %d: %s", topic, i,
				 rd_kafka_err2str(e));
			ret = -EIO;
			goto out;
		}
		c->next[i] = lo;
		c->end[i] = hi;
		rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	}
	e = rd_kafka_assign(c->rk, parts);
	if (e) {
		snprintf(err, errlen, "cannot assign %s: %s", topic,
			 rd_kafka_err2str(e));
		ret = -EIO;
	}
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	if (ret)
		xw_consumer__destroy(c);
	else
		*out = c;
	return ret;
}

int xw_consumer__new_since(struct xw_consumer **out,
			   const struct xw_cfg_kv *props, const char *topic,
			   int64_t since_unix_ms, int timeout_ms, char *err,
			   size_t errlen)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = NULL;
	struct xw_consumer *c;
	rd_kafka_resp_err_t e;
	int ret, n;

	ret = xw_consumer__new(&c, props, topic, false, err, errlen);
	if (ret)
		return ret;
	rd_kafka_unsubscribe(c->rk);
	rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	e = rkt ? rd_kafka_metadata(c->rk, 0, rkt, &md, timeout_ms) :
		  rd_kafka_last_error();
	if (!e && (md->topic_cnt != 1 || md->topics[0].err))
		e = md->topic_cnt ? md->topics[0].err :
				    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	if (e) {
		snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(e));
		ret = e == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -ENOENT;
		goto out;
	}
	n = md->topics[0].partition_cnt;
	parts = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
	for (int i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
			since_unix_ms;
	/* Each offset becomes the first at or after the time; -1 (no such
	 * message yet) is RD_KAFKA_OFFSET_END: from what arrives next. */
	e = rd_kafka_offsets_for_times(c->rk, parts, timeout_ms);
	if (e) {
		snprintf(err, errlen, "topic %s: offsets for a time: %s", topic,
			 rd_kafka_err2str(e));
		ret = e == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -EIO;
		goto out;
	}
	for (int i = 0; i < parts->cnt; i++)
		if (parts->elems[i].err || parts->elems[i].offset < 0)
			parts->elems[i].offset = RD_KAFKA_OFFSET_END;
	e = rd_kafka_assign(c->rk, parts);
	if (e) {
		snprintf(err, errlen, "cannot assign %s: %s", topic,
			 rd_kafka_err2str(e));
		ret = -EIO;
	}
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	if (ret)
		xw_consumer__destroy(c);
	else
		*out = c;
	return ret;
}

/* Tell the owner what moved, then take or give up the partitions. */
static void on_group_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
			       rd_kafka_topic_partition_list_t *parts,
			       void *opaque)
{
	struct xw_consumer *c = opaque;
	bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	bool assigned = e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
	int32_t ids[XW_CONSUMER_MAX_PARTITIONS];
	int n = 0;

	for (int i = 0; i < parts->cnt && n < XW_CONSUMER_MAX_PARTITIONS; i++)
		ids[n++] = parts->elems[i].partition;
	/* Revoked: the owner hands its state over before the partitions go;
	 * assigned: after they are ours. */
	if (!assigned && c->on_rebalance)
		c->on_rebalance(c->rebalance_ctx, false, ids, n);
	/* Commit what we read before the partitions go, so the next owner
	 * does not read it again (the periodic auto-commit may be seconds
	 * behind). Nothing stored yet is not an error. */
	if (!assigned) {
		rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);

		if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
			pr_warn("kafka: commit before rebalance: %s", rd_kafka_err2str(ce));
	}
	if (cooperative) {
		rd_kafka_error_t *err = assigned ?
			rd_kafka_incremental_assign(rk, parts) :
			rd_kafka_incremental_unassign(rk, parts);

		if (err) {
			pr_warn("kafka: rebalance: %s", rd_kafka_error_string(err));
			rd_kafka_error_destroy(err);
		}
	} else {
		rd_kafka_assign(rk, assigned ? parts : NULL);
	}
	if (assigned && c->on_rebalance)
		c->on_rebalance(c->rebalance_ctx, true, ids, n);
}

int xw_consumer__new_group(struct xw_consumer **out,
			   const struct xw_cfg_kv *props, const char *topic,
			   const char *group_id, xw_rebalance_fn fn, void *ctx,
			   char *err, size_t errlen)
{
	struct xw_consumer *c = calloc(1, sizeof(*c));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!c) {
		rd_kafka_conf_destroy(conf);
		return -ENOMEM;
	}
	c->wake_fd = -1;
	c->on_rebalance = fn;
	c->rebalance_ctx = ctx;
	/*
	 * Defaults a props entry may override: a new group starts at the end
	 * (features from before it existed are history, not an attack now),
	 * and cooperative-sticky moves only the partitions that must move
	 * when an instance joins or leaves.
	 */
	if (conf_set(conf, "group.id", group_id, err, errlen) ||
	    conf_set(conf, "auto.offset.reset", "latest", err, errlen) ||
	    conf_set(conf, "partition.assignment.strategy", "cooperative-sticky",
		     err, errlen))
		goto fail;
	rd_kafka_conf_set_rebalance_cb(conf, on_group_rebalance);
	rd_kafka_conf_set_opaque(conf, c);
	return consumer_start(c, conf, props, topic, out, err, errlen);
fail:
	rd_kafka_conf_destroy(conf);
	free(c);
	return -EINVAL;
}

int64_t xw_consumer__lag(struct xw_consumer *c)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	int64_t lag = 0;

	if (rd_kafka_assignment(c->rk, &parts) || !parts)
		return -EIO;
	if (rd_kafka_position(c->rk, parts)) {
		rd_kafka_topic_partition_list_destroy(parts);
		return -EIO;
	}
	for (int i = 0; i < parts->cnt; i++) {
		int64_t lo, hi;

		/* Cached by the fetcher: no round trip to the broker. */
		if (rd_kafka_get_watermark_offsets(c->rk, parts->elems[i].topic,
						   parts->elems[i].partition,
						   &lo, &hi))
			continue;
		if (parts->elems[i].offset >= 0 && hi > parts->elems[i].offset)
			lag += hi - parts->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(parts);
	return lag;
}

int xw_consumer__wake_fd(struct xw_consumer *c)
{
	static const uint64_t one = 1; /* what an eventfd write must carry */
	rd_kafka_queue_t *q;

	if (c->wake_fd >= 0)
		return c->wake_fd;
	q = rd_kafka_queue_get_consumer(c->rk);
	if (!q)
		return -ENOTSUP;
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0) {
		rd_kafka_queue_destroy(q);
		return -errno;
	}
	rd_kafka_queue_io_event_enable(q, c->wake_fd, &one, sizeof(one));
	rd_kafka_queue_destroy(q);
	return c->wake_fd;
}

void xw_consumer__wake_clear(struct xw_consumer *c)
{
	uint64_t n;

	/* EAGAIN just means nothing was signalled since the last clear. */
	if (c->wake_fd >= 0 && read(c->wake_fd, &n, sizeof(n)) < 0 &&
	    errno != EAGAIN)
		pr_debug("kafka: wake-up fd: %s", strerror(errno));
}

bool xw_consumer__caught_up(const struct xw_consumer *c)
{
	/* Compaction leaves holes in offsets: compare, never count. */
	for (int i = 0; i < c->npart; i++)
		if (c->next[i] < c->end[i])
			return false;
	return true;
}

void xw_consumer__destroy(struct xw_consumer *c)
{
	if (!c)
		return;
	if (c->last)
		rd_kafka_message_destroy(c->last);
	if (c->wake_fd >= 0) {
		rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);

		if (q) {
			rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
			rd_kafka_queue_destroy(q);
		}
		close(c->wake_fd);
	}
	rd_kafka_consumer_close(c->rk);
	rd_kafka_destroy(c->rk);
	free(c);
}
