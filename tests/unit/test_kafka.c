// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_kafka.c - the producer of common/kafka.c against librdkafka's mock
 * cluster (test.mock.num.brokers: brokers inside the process, no network,
 * no root), for what a real broker cannot easily be made to do: a fatal
 * error. xw_producer__inject_fatal() raises one as librdkafka would on an
 * idempotence desync; the next poll must rebuild the producer, count what
 * was queued as failed, and produce again.
 *
 * And a flush that times out (no broker) counts what it gives up on.
 *
 * linger.ms is set far beyond the test, so produced messages sit in the
 * queue until a flush sends them: "queued at the time of the fatal error"
 * is then certain, not a race with the mock's brokers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "config.h"
#include "kafka.h"
#include "testhelp.h"

#define TOPIC "xw-unit-kafka"

static void kv_add(struct xw_cfg_kv *kv, const char *k, const char *v)
{
	assert_true(kv->count < XW_CFG_KV_MAX);
	snprintf(kv->key[kv->count], XW_CFG_KEY_MAX, "%s", k);
	snprintf(kv->value[kv->count], XW_CFG_STR_MAX, "%s", v);
	kv->count++;
}

/*
 * A producer on a fresh mock cluster of three brokers, or (mock false) on
 * 127.0.0.1:1, where nothing listens: a broker that is away.
 */
static struct xw_producer *new_producer(bool mock)
{
	static struct xw_cfg_kv kv; /* large: not on the stack */
	struct xw_producer *p = NULL;
	char err[512] = "";

	memset(&kv, 0, sizeof(kv));
	/* With the mock, replaced by its own address. */
	kv_add(&kv, "bootstrap.servers", "127.0.0.1:1");
	if (mock)
		kv_add(&kv, "test.mock.num.brokers", "3");
	kv_add(&kv, "linger.ms", "120000"); /* < message.timeout.ms */
	kv_add(&kv, "log_level", mock ? "4" : "0");
	if (xw_producer__new(&p, &kv, TOPIC, err, sizeof(err)))
		fail_msg("xw_producer__new: %s", err);
	return p;
}

static struct xw_producer *mock_producer(void)
{
	return new_producer(true);
}

static void produce(struct xw_producer *p, int msgs, uint32_t records)
{
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", "xdpwatch.v1.FeatureBatch" },
	};
	char value[64];

	for (int i = 0; i < msgs; i++) {
		int n = snprintf(value, sizeof(value), "batch %d of %u records", i,
				 records);

		assert_int_equal(xw_producer__produce(p, "host", 4, value, (size_t)n,
						      records, hdrs, 1),
				 0);
	}
}

#define assert_stats(p, delivered, rec_delivered, failed, rec_failed, restarts) \
	do {                                                                     \
		const struct xw_producer_stats *s_ = xw_producer__stats(p);      \
		if (s_->msgs_delivered != (delivered) ||                         \
		    s_->records_delivered != (rec_delivered) ||                  \
		    s_->msgs_failed != (failed) ||                               \
		    s_->records_failed != (rec_failed) ||                        \
		    s_->fatal_restarts != (restarts))                            \
			fail_msg("stats: delivered %llu msgs / %llu records, failed %llu / %llu, restarts %llu, queued %llu; " \
				 "expected %d / %d, %d / %d, %d",                \
				 (unsigned long long)s_->msgs_delivered,         \
				 (unsigned long long)s_->records_delivered,      \
				 (unsigned long long)s_->msgs_failed,            \
				 (unsigned long long)s_->records_failed,         \
				 (unsigned long long)s_->fatal_restarts,         \
				 (unsigned long long)s_->queue_len, (delivered), \
				 (rec_delivered), (failed), (rec_failed),        \
				 (restarts));                                    \
	} while (0)

static void test_delivers_on_mock_cluster(void **state)
{
	struct xw_producer *p = mock_producer();

	produce(p, 3, 10);
	assert_stats(p, 0, 0, 0, 0, 0); /* lingering: nothing sent yet */
	assert_int_equal(xw_producer__flush(p, 10000), 0);
	assert_stats(p, 3, 30, 0, 0, 0);
	assert_int_equal(xw_producer__stats(p)->msgs_produced, 3);
	assert_int_equal(xw_producer__stats(p)->records_produced, 30);
	assert_int_equal(xw_producer__stats(p)->queue_len, 0);
	xw_producer__destroy(p);
}

static void test_fatal_error_rebuilds_and_counts_queued_as_failed(void **state)
{
	struct xw_producer *p = mock_producer();

	produce(p, 3, 10);
	assert_int_equal(xw_producer__flush(p, 10000), 0);
	assert_stats(p, 3, 30, 0, 0, 0);

	/* Four batches wait in the queue when the fatal error comes. */
	produce(p, 4, 5);
	assert_int_equal(xw_producer__stats(p)->queue_len, 4);
	assert_int_equal(xw_producer__inject_fatal(p), 0);
	xw_producer__poll(p);
	assert_stats(p, 3, 30, 4, 20, 1);
	assert_int_equal(xw_producer__stats(p)->queue_len, 0);

	/* The rebuilt producer works: more is delivered, nothing else fails. */
	produce(p, 2, 7);
	assert_int_equal(xw_producer__flush(p, 10000), 0);
	xw_producer__poll(p);
	assert_stats(p, 5, 44, 4, 20, 1);
	assert_int_equal(xw_producer__stats(p)->records_produced, 30 + 20 + 14);
	xw_producer__destroy(p);
}

static void test_fatal_error_with_empty_queue_loses_nothing(void **state)
{
	struct xw_producer *p = mock_producer();

	assert_int_equal(xw_producer__inject_fatal(p), 0);
	xw_producer__poll(p);
	assert_stats(p, 0, 0, 0, 0, 1);
	/* A second fatal error on the rebuilt producer is a second restart. */
	assert_int_equal(xw_producer__inject_fatal(p), 0);
	xw_producer__poll(p);
	assert_stats(p, 0, 0, 0, 0, 2);
	produce(p, 1, 3);
	assert_int_equal(xw_producer__flush(p, 10000), 0);
	assert_stats(p, 1, 3, 0, 0, 2);
	xw_producer__destroy(p);
}

/* Shutdown with the broker away: what flush gives up on is counted at
 * once, so the stats read after it (the collector's last line) are final. */
static void test_flush_timeout_counts_the_rest_failed(void **state)
{
	struct xw_producer *p = new_producer(false);

	produce(p, 3, 4);
	assert_int_equal(xw_producer__flush(p, 300), -ETIMEDOUT);
	assert_stats(p, 0, 0, 3, 12, 0);
	assert_int_equal(xw_producer__stats(p)->queue_len, 0);
	xw_producer__destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivers_on_mock_cluster),
		cmocka_unit_test(test_fatal_error_rebuilds_and_counts_queued_as_failed),
		cmocka_unit_test(test_fatal_error_with_empty_queue_loses_nothing),
		cmocka_unit_test(test_flush_timeout_counts_the_rest_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
