/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * kafka.h - a producer that never blocks its caller and accounts for every
 * message: librdkafka kept behind this interface.
 *
 *   xw_producer__new(&p, props, topic, err, errlen)
 *       props: librdkafka properties by their own names (the config's
 *       kafka { } group); defaults for idempotence, acks=all, lz4 and a
 *       bounded queue apply unless props set them. Unknown properties and
 *       bad values are refused with librdkafka's reason.
 *   xw_producer__produce(p, key, keylen, buf, len, records, headers)
 *       copies buf; -ENOBUFS when the local queue is full (the caller
 *       counts the loss), other negative errno on a bad message
 *   xw_producer__poll(p)     delivery reports -> stats; after a fatal error
 *                            (e.g. idempotence sequence desync) the
 *                            producer is rebuilt, its queued messages
 *                            counted as failed
 *   xw_producer__flush(p, timeout_ms)
 *                            wait for every delivery report; at the
 *                            timeout, purge what is left (counted failed)
 *                            and return -ETIMEDOUT: the stats are final
 *   xw_producer__destroy(p)
 *   xw_producer__stats(p)    cumulative counters
 *
 * A message carries how many records it holds, so delivered and failed
 * are counted in records as well as messages.
 */
#ifndef XW_KAFKA_H
#define XW_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct xw_producer;

struct xw_kafka_header {
	const char *name;
	const char *value;
};

struct xw_producer_stats {
	uint64_t msgs_produced, records_produced;
	uint64_t msgs_queue_full, records_queue_full; /* refused by produce */
	uint64_t msgs_delivered, records_delivered;
	uint64_t msgs_failed, records_failed;
	/* Of the failed: a timed-out message may still be in the log. */
	uint64_t msgs_possibly_persisted;
	uint64_t fatal_restarts;
	uint64_t queue_len; /* messages in librdkafka's queue now */
};

int xw_producer__new(struct xw_producer **p, const struct xw_cfg_kv *props,
		     const char *topic, char *err, size_t errlen);
int xw_producer__produce(struct xw_producer *p, const void *key,
			 size_t keylen, const void *buf, size_t len,
			 uint32_t records, const struct xw_kafka_header *hdrs,
			 size_t nhdrs);
void xw_producer__poll(struct xw_producer *p);
/* Ask the brokers for the topic's metadata: -ETIMEDOUT when none answers
 * within timeout_ms, -ENOENT when the topic does not exist. */
int xw_producer__check(struct xw_producer *p, int timeout_ms, char *err,
		       size_t errlen);
int xw_producer__flush(struct xw_producer *p, int timeout_ms);
void xw_producer__destroy(struct xw_producer *p);
const struct xw_producer_stats *xw_producer__stats(struct xw_producer *p);

/*
 * A consumer for tools and tests: subscribes to one topic with its own
 * group (no offsets committed), from the beginning or from the end.
 *
 *   xw_consumer__new(&c, props, topic, from_beginning, err, errlen)
 *   xw_consumer__next(c, timeout_ms, &msg)  1 with a message, 0 on timeout,
 *                                           negative errno on error
 *   xw_consumer__release(c), xw_consumer__destroy(c)
 */
struct xw_consumer;

struct xw_kafka_msg {
	const void *key;
	size_t keylen;
	const void *value; /* NULL for a tombstone */
	size_t len;
	int32_t partition;
	int64_t offset;
	const char *schema; /* the "schema" header, or NULL */
};

int xw_consumer__new(struct xw_consumer **c, const struct xw_cfg_kv *props,
		     const char *topic, bool from_beginning, char *err,
		     size_t errlen);
int xw_consumer__next(struct xw_consumer *c, int timeout_ms,
		      struct xw_kafka_msg *msg);
/*
 * A reader of every partition of a topic with no consumer group (each
 * collector must see every verdict), from the beginning. caught_up turns
 * true once it has read up to the end offsets the topic had when it was
 * created: what a compacted topic said at start.
 */
int xw_consumer__new_all(struct xw_consumer **c, const struct xw_cfg_kv *props,
			 const char *topic, int timeout_ms, char *err,
			 size_t errlen);
bool xw_consumer__caught_up(const struct xw_consumer *c);
/*
 * A reader of every partition of a topic, no group, from the first message
 * stamped at or after since_unix_ms (the broker's message timestamps;
 * the end of a partition that has none yet): what a live view needs to
 * see the last few seconds without reading the whole log, and without
 * waiting for a group to form.
 */
int xw_consumer__new_since(struct xw_consumer **c,
			   const struct xw_cfg_kv *props, const char *topic,
			   int64_t since_unix_ms, int timeout_ms, char *err,
			   size_t errlen);
/*
 * A member of a consumer group (the detector): Kafka spreads the topic's
 * partitions over the group's members and moves them when one joins or
 * leaves. fn (may be NULL) hears of it from inside xw_consumer__next: with
 * assigned false before the partitions go (hand over their state), with
 * true once they are ours. Offsets are committed automatically; a new
 * group starts at the end of the topic.
 */
typedef void (*xw_rebalance_fn)(void *ctx, bool assigned,
				const int32_t *partitions, int n);
int xw_consumer__new_group(struct xw_consumer **c,
			   const struct xw_cfg_kv *props, const char *topic,
			   const char *group_id, xw_rebalance_fn fn, void *ctx,
			   char *err, size_t errlen);
/* Messages behind the end of the assigned partitions, or -EIO. */
int64_t xw_consumer__lag(struct xw_consumer *c);
/*
 * An eventfd that turns readable when a message arrives on an empty queue,
 * for an epoll loop; xw_consumer__wake_clear() before draining the queue.
 */
int xw_consumer__wake_fd(struct xw_consumer *c);
void xw_consumer__wake_clear(struct xw_consumer *c);
void xw_consumer__destroy(struct xw_consumer *c);

/* For tests: make the next poll see a fatal error, as librdkafka would. */
int xw_producer__inject_fatal(struct xw_producer *p);

#endif /* XW_KAFKA_H */
