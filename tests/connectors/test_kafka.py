import uuid

import pytest

from connectors import kafka
from connectors.settings import KafkaSettings
from schemas.topics import Topic

pytestmark = pytest.mark.integration


def _fresh_topic(partitions: int) -> Topic:
    return Topic(f"test.roundtrip.{uuid.uuid4().hex[:8]}", "test key", "test", partitions=partitions)


def test_round_trip_in_a_consumer_group_over_partitions():
    settings = KafkaSettings()
    topic = _fresh_topic(partitions=4)
    assert kafka.ensure_topics(settings, [topic]) == [topic.name]

    producer = kafka.producer(settings)
    sent = {f"key-{i}": f"value-{i}" for i in range(40)}
    for key, value in sent.items():
        producer.produce(topic.name, key=key, value=value)
    assert producer.flush(15) == 0

    group = f"test-{uuid.uuid4().hex[:8]}"
    consumer = kafka.consumer(settings, group=group)
    consumer.subscribe([topic.name])
    received, partitions_seen = {}, set()
    for _ in range(200):
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        received[message.key().decode()] = message.value().decode()
        partitions_seen.add(message.partition())
        if len(received) == len(sent):
            break
    consumer.commit(asynchronous=False)
    consumer.close()

    assert received == sent
    assert len(partitions_seen) > 1, "keys should spread over several partitions"
    assert kafka.consumer_lag(settings, group, topic.name) == 0


def test_ensure_topics_is_idempotent_and_keeps_declared_partitions():
    settings = KafkaSettings()
    topic = _fresh_topic(partitions=3)
    assert kafka.ensure_topics(settings, [topic]) == [topic.name]
    assert kafka.ensure_topics(settings, [topic]) == []
    metadata = kafka.admin(settings).list_topics(topic.name, timeout=10)
    assert len(metadata.topics[topic.name].partitions) == 3
