"""Kafka through confluent-kafka: producer, consumer, admin and topic bootstrap."""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectors.settings import KafkaSettings
from schemas.topics import Topic


def admin(settings: KafkaSettings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.bootstrap, "client.id": settings.client_id})


def producer(settings: KafkaSettings, **overrides: object) -> Producer:
    # Idempotent: a retried send after a lost ack does not duplicate the record.
    config = {
        "bootstrap.servers": settings.bootstrap,
        "client.id": settings.client_id,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        **overrides,
    }
    return Producer(config)


def consumer(settings: KafkaSettings, group: str, **overrides: object) -> Consumer:
    config = {
        "bootstrap.servers": settings.bootstrap,
        "client.id": settings.client_id,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,  # the broker's minimum: fast rebalances
        **overrides,
    }
    return Consumer(config)


def ensure_topics(settings: KafkaSettings, topics: Iterable[Topic], timeout_s: float = 30) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    client = admin(settings)
    existing = set(client.list_topics(timeout=timeout_s).topics)
    wanted = [
        NewTopic(t.name, num_partitions=t.partitions or settings.partitions, replication_factor=1,
                 config={"retention.ms": str(t.retention_ms), "cleanup.policy": t.cleanup_policy})
        for t in topics if t.name not in existing
    ]
    if not wanted:
        return []
    for future in client.create_topics(wanted, operation_timeout=timeout_s).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].TOPIC_ALREADY_EXISTS:
                raise
    return [t.topic for t in wanted]


def wait_ready(settings: KafkaSettings, timeout_s: float = 60) -> None:
    """Ready means every partition answers ListOffsets, not just metadata:
    right after a start the leader epoch can still be unknown for a moment."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            # Quiet: while the broker starts, every refused connection is an info line.
            probe = consumer(settings, group="darkroom-readiness", **{"log_level": 3})
            try:
                metadata = probe.list_topics(timeout=5)
                partitions = [TopicPartition(t, p) for t, m in metadata.topics.items()
                              for p in m.partitions]
                for tp in partitions:
                    probe.get_watermark_offsets(tp, timeout=5)
                if metadata.brokers:
                    return
            finally:
                probe.close()
        except KafkaException as exc:
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"Kafka at {settings.bootstrap} not ready: {last}")


def consumer_lag(settings: KafkaSettings, group: str, topic: str) -> int:
    """End offsets minus committed offsets, summed over the topic's partitions."""
    probe = consumer(settings, group=group)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in probe.list_topics(topic, timeout=10).topics[topic].partitions]
        committed = probe.committed(partitions, timeout=10)
        lag = 0
        for tp in committed:
            _, high = probe.get_watermark_offsets(tp, timeout=10)
            lag += high - (tp.offset if tp.offset >= 0 else 0)
        return lag
    finally:
        probe.close()
