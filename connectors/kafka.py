"""Kafka through confluent-kafka: the event bus (publish, confirmed), and
the consumer, admin and topic bootstrap that tools and tests use."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectors.settings import KafkaSettings
from schemas.events import Event
from schemas.topics import Topic

log = logging.getLogger(__name__)


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
        # The Java client's partitioner (murmur2 of the key), which the stages' producers
        # (aiokafka) use too: one image id lands on the same partition number in every
        # topic, so consumers that join topics (Kafka Streams, ksqlDB, Flink) keep its order.
        "partitioner": "murmur2_random",
        **overrides,
    }
    return Producer(config)


class Unconfirmed(Exception):
    """Kafka did not take an event in time, or refused it: the caller may retry."""


class EventBus:
    """Publishes events and returns only once Kafka has each one: an answer
    to a client promises the event is there. The producer is made on first
    use (a process starts while Kafka is still coming up)."""

    def __init__(self, settings: KafkaSettings, timeout_s: float) -> None:
        self._settings, self._timeout_s = settings, timeout_s
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    def _get(self) -> Producer:
        if self._producer is None:
            with self._lock:
                if self._producer is None:
                    self._producer = producer(self._settings,
                                              **{"delivery.timeout.ms": int(self._timeout_s * 1000)})
        return self._producer

    def publish(self, event: Event) -> None:
        """Send `event` to its topic, keyed by its image id, and wait for its own
        delivery report (not a global flush, which would wait for others' too)."""
        delivered = threading.Event()
        errors: list[KafkaError] = []

        def on_delivery(err: KafkaError | None, _message: object) -> None:
            if err is not None:
                errors.append(err)
            delivered.set()

        bus = self._get()
        try:
            bus.produce(event.TOPIC.name, key=event.key(), value=event.value(), on_delivery=on_delivery)
        except BufferError as exc:  # the local queue is full: Kafka is not keeping up
            raise Unconfirmed("Kafka is not accepting events right now") from exc
        deadline = time.monotonic() + self._timeout_s
        # Delivery reports are served by whichever thread polls, so poll until ours came.
        while not delivered.is_set():
            if time.monotonic() > deadline:
                raise Unconfirmed(f"Kafka did not confirm {event.TOPIC.name} within {self._timeout_s} s")
            bus.poll(0.05)
        if errors:
            raise Unconfirmed(f"Kafka refused {event.TOPIC.name}: {errors[0]}")
        log.info("published topic=%s image_id=%s event_id=%s", event.TOPIC.name, event.image_id,
                 event.event_id)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(self._timeout_s)
            self._producer = None  # librdkafka stops its threads when the last reference goes


# What a caller may treat as "Kafka is away for now" (answer 503, retry later).
UNAVAILABLE: tuple[type[Exception], ...] = (Unconfirmed,)


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
