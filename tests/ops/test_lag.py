"""Consumer-group lag as `./darkroom ops lag` reads it (connectors/groups.py,
devstack/ops.py): per partition, against the real Kafka."""

from __future__ import annotations

import uuid

import pytest
from devstack import ops

from connectors import groups, kafka
from connectors.settings import KafkaSettings
from schemas import headers, topics
from schemas.topics import Topic
from streams import registry
from tests.ops.helpers import stack_env


@pytest.mark.parametrize("lag, consumed, produced, drain", [
    (0, 0.0, 0.0, 0.0),
    (100, 10.0, 0.0, 10.0),
    (100, 10.0, 5.0, 20.0),
    (100, 5.0, 5.0, None),
    (100, 0.0, 3.0, None),
], ids=["nothing to do", "draining", "draining while produced", "keeping pace", "stalled"])
def test_time_to_drain(lag, consumed, produced, drain):
    assert ops.PartitionLag("t", 0, 0, lag, lag, consumed, produced).drain_s == drain


def _lags(settings: KafkaSettings, group: str, topic: Topic) -> set[tuple[int, int | None, int]]:
    offsets = groups.partition_offsets(settings, group, [topic.name])
    return {(p.partition, p.committed, p.lag) for p in offsets}


@pytest.mark.integration
def test_a_groups_lag_is_what_it_has_not_committed_per_partition():
    settings, run = KafkaSettings(), uuid.uuid4().hex[:8]
    topic = Topic(f"test.lag.{run}", "k", "test", partitions=2)
    kafka.ensure_topics(settings, [topic])
    producer = kafka.producer(settings)
    for i in range(5):
        producer.produce(topic.name, key=b"k", value=str(i).encode(), partition=i % 2)
    assert producer.flush(15) == 0
    group = f"test-lag-{run}"
    assert _lags(settings, group, topic) == {(0, None, 3), (1, None, 2)}
    consumer = kafka.consumer(settings, group)
    consumer.subscribe([topic.name])
    taken = 0
    while taken < 5:
        message = consumer.poll(1)
        if message is not None and not message.error():
            taken += 1
            if message.partition() == 0 and message.offset() == 1:
                consumer.commit(message, asynchronous=False)  # partition 0 up to (and with) offset 1
    consumer.close()
    assert _lags(settings, group, topic) == {(0, 2, 1), (1, None, 2)}
    assert groups.members(settings, [group]) == {group: 0}


@pytest.mark.integration
def test_ops_lag_covers_every_stage_and_partition_and_counts_new_records():
    env = stack_env()
    before = {entry.stage: entry for entry in ops.lag(env, interval_s=0.5)}
    assert set(before) == set(registry.discover())
    for name, entry in before.items():
        read = {t.name for t in registry.discover()[name].input_topics}
        assert {p.topic for p in entry.partitions} == read
    # Only the indexing stage reads tags.detected, and no indexing worker runs now. The
    # header makes every stage skip them when one does (they are meant for no stage).
    producer = kafka.producer(KafkaSettings())
    for i in range(4):
        producer.produce(topics.IMAGE_TAGS_DETECTED.name, key=f"lag-{i}".encode(), value=b"{}",
                         headers=[(headers.STAGE, b"no-stage")])
    assert producer.flush(15) == 0
    [after] = ops.lag(env, ["indexing"], interval_s=0.5)
    assert after.lag == before["indexing"].lag + 4
    json_entry = after.as_json()
    assert json_entry["stage"] == "indexing" and json_entry["lag"] == after.lag
    assert {"topic", "partition", "committed", "end", "lag", "consumed_per_s", "produced_per_s", "drain_s"} \
        <= set(json_entry["partitions"][0])
