# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Kafka helpers shared by the integration tests that talk to the lab's
broker (lab.Broker): names, an admin client, topic clean-up, and a reader
that takes a topic from the start up to its high watermarks.

  unique(prefix)                       a name no earlier run used
  admin_client(bootstrap)              a quiet AdminClient
  delete_topics(bootstrap, topics, who)   best effort, for tearDownModule
  read_to_watermarks(bootstrap, topic, timeout)
                                       the raw messages, in arrival order

Needs confluent_kafka (Debian's python3-confluent-kafka, in
/usr/bin/python3's dist-packages); the tests re-exec under that
interpreter before importing this.
"""
import sys
import time
import uuid

import confluent_kafka
from confluent_kafka.admin import AdminClient


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def admin_client(bootstrap):
    # Quiet: a client not yet collected would log the outage's refused
    # connections; its calls raise with the reason when they fail.
    return AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})


def delete_topics(bootstrap, topics, who):
    """Delete the topics a test module made; a leftover is only reported."""
    if not topics:
        return
    try:
        admin = admin_client(bootstrap)
        for f in admin.delete_topics(topics, operation_timeout=10).values():
            f.result(timeout=30)
    except Exception as e:  # a leftover topic is harmless
        print("%s: could not delete %s: %s" % (who, topics, e), file=sys.stderr)


def read_to_watermarks(bootstrap, topic, timeout):
    """Every message of topic, from the start up to the high watermarks
    taken now, by a fresh consumer (own group, explicit assignment):
    confluent_kafka Messages in the order they arrived."""
    c = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": unique("xw-test-reader"),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    try:
        parts = sorted(c.list_topics(topic, timeout=20).topics[topic].partitions)
        want = {}
        for p in parts:
            lo, hi = c.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=20)
            if hi > lo:
                want[p] = (lo, hi)
        c.assign([confluent_kafka.TopicPartition(topic, p, lo) for p, (lo, _) in want.items()])
        nxt = {p: lo for p, (lo, _) in want.items()}
        out = []
        deadline = time.monotonic() + timeout
        while any(nxt[p] < hi for p, (_, hi) in want.items()):
            if time.monotonic() > deadline:
                raise AssertionError("consumer: %s not read to %s within %d s" % (nxt, want, timeout))
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                raise AssertionError("consumer: %s" % m.error())
            out.append(m)
            nxt[m.partition()] = m.offset() + 1
        return out
    finally:
        c.close()
