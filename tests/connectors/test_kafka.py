import uuid

import pytest

from connectors import groups, kafka
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
    assert groups.lag(settings, group, [topic.name]) == 0


def test_ensure_topics_is_idempotent_and_keeps_declared_partitions():
    settings = KafkaSettings()
    topic = _fresh_topic(partitions=3)
    assert kafka.ensure_topics(settings, [topic]) == [topic.name]
    assert kafka.ensure_topics(settings, [topic]) == []
    metadata = kafka.admin(settings).list_topics(topic.name, timeout=10)
    assert len(metadata.topics[topic.name].partitions) == 3


def test_one_image_id_lands_on_the_same_partition_in_every_topic():
    """The API's producer (confluent-kafka, EventBus) and the stages' (faust's
    aiokafka) must agree, so an image's events keep their order for consumers
    that join topics; both must be the Java client's murmur2."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    from schemas.events import ImageDeleted

    settings = KafkaSettings()
    api_topic, stage_topic = _fresh_topic(partitions=6), _fresh_topic(partitions=6)
    kafka.ensure_topics(settings, [api_topic, stage_topic])
    ids = [uuid.uuid4().hex for _ in range(60)]

    bus = kafka.EventBus(settings, timeout_s=15)
    event_type = type("Probe", (ImageDeleted,), {"TOPIC": api_topic, "EXAMPLE": {}})
    try:
        for image_id in ids:
            bus.publish(event_type(image_id=image_id, owner="o"))
    finally:
        bus.close()
        from schemas.events import Event
        Event._declared.remove(event_type)

    async def stage_sends() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
        await producer.start()
        try:
            for image_id in ids:
                await producer.send_and_wait(stage_topic.name, key=image_id.encode(), value=b"{}")
        finally:
            await producer.stop()

    asyncio.run(stage_sends())

    def partitions(topic: Topic) -> dict[str, int]:
        consumer = kafka.consumer(settings, group=f"test-{uuid.uuid4().hex[:8]}")
        consumer.subscribe([topic.name])
        seen: dict[str, int] = {}
        for _ in range(240):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                seen[message.key().decode()] = message.partition()
            if len(seen) == len(ids):
                break
        consumer.close()
        return seen

    by_api, by_stage = partitions(api_topic), partitions(stage_topic)
    assert set(by_api) == set(ids)
    assert by_api == by_stage
    assert len(set(by_api.values())) > 1  # spread, not all on one partition
    # And it is the Java client's murmur2 (what a Kafka Streams app computes).
    assert all(p == (_java_murmur2(i.encode()) & 0x7FFFFFFF) % 6 for i, p in by_api.items())


def _java_murmur2(data: bytes) -> int:
    """org.apache.kafka.common.utils.Utils.murmur2, written from its definition."""
    m, r, seed = 0x5BD1E995, 24, 0x9747B28C
    length = len(data)
    h = (seed ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = data[length - length % 4:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h
